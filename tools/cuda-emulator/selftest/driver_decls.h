// driver_decls.h — the CUDA driver entry points that the library selftests (blas_selftest.cpp, cudnn_selftest.cpp)
// call, declared once (they link against the emulated libcuda.so.1 and use no toolkit header).
#pragma once

#include <cstddef>

typedef unsigned long long CUdeviceptr;

extern "C" {
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuMemAlloc_v2(CUdeviceptr*, size_t);
int cuMemFree_v2(CUdeviceptr);
int cuMemcpyHtoDAsync_v2(CUdeviceptr, const void*, size_t, void*);
int cuMemcpyDtoHAsync_v2(void*, CUdeviceptr, size_t, void*);
int cuStreamCreate(void**, unsigned);
int cuStreamSynchronize(void*);
int cuStreamDestroy_v2(void*);
int cuStreamBeginCapture_v2(void*, int);
int cuStreamEndCapture(void*, void**);
int cuGraphInstantiateWithFlags(void**, void*, unsigned long long);
int cuGraphLaunch(void*, void*);
}
