/* One core's FP32 FMA and VDPBF16PS rates: 12 independent zmm chains each (bash benchmarks/bf16-kernel/run.sh). */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define R(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
int main(int argc,char**argv){
#define D(i) __m512 a##i=_mm512_set1_ps(i+argc);
 R(D)
 __m512 x=_mm512_set1_ps(0.999f), y=_mm512_set1_ps(0.001f);
 __m512bh bx=(__m512bh)_mm512_set1_epi32(0x3f803f80), by=(__m512bh)_mm512_set1_epi32(0x3a003a00);
 double best=0,bestb=0; for(int rep=0;rep<20;rep++){ long n=2000000; double t0=now();
 for(long i=0;i<n;i++){
#define F(i) a##i=_mm512_fmadd_ps(a##i,x,y);
 R(F) }
 double t=now()-t0; double g=n*12.0*32/t/1e9; if(g>best)best=g;
 t0=now(); for(long i=0;i<n;i++){
#define B(i) a##i=_mm512_dpbf16_ps(a##i,bx,by);
 R(B) }
 t=now()-t0; g=n*12.0*64/t/1e9; if(g>bestb)bestb=g; }
 __m512 s=_mm512_setzero_ps();
#define S(i) s=_mm512_add_ps(s,a##i);
 R(S)
 printf("one core: FP32 zmm FMA %.1f GFLOP/s, VDPBF16PS zmm %.1f GFLOP/s (%g)\n",best,bestb,_mm512_reduce_add_ps(s));}
