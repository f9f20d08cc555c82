/* The BF16 micro-kernel alone, one core, data in cache: bash benchmarks/bf16-kernel/run.sh (MR 8, 12, 14). */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
void cudagenre_bf16_kernel(long pairs, const uint32_t *a, const uint32_t *b, long panel_stride, float *c, long ldc, long rows, long columns, long accumulate);
#ifndef MRB
#define MRB 12
#endif
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(void){
  static uint32_t a[MRB*128] __attribute__((aligned(64))); static uint32_t b[2*128*16] __attribute__((aligned(64))); static float c[MRB*64] __attribute__((aligned(64)));
  for(int i=0;i<MRB*128;i++)a[i]=0x3f803f80u; for(int i=0;i<2*128*16;i++)b[i]=0x3f003f00u;
  double best=0; for(int rep=0;rep<30;rep++){ long n=2000; double t0=now(); for(long i=0;i<n;i++) cudagenre_bf16_kernel(128,a,b,128*16,c,64,MRB,32,1); double t=now()-t0;
    double gf=n*(double)MRB*32*256*2/t/1e9; if(gf>best)best=gf;}
  printf("MR=%d: best %.1f GFLOP/s (one core, kc=256, tile %dx32, C in cache)\n",MRB,best,MRB); return 0;}
