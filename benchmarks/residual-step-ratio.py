# For each process in an A/B file of `CudaGenre.Benchmarks profile xception 1 2` runs (CUDAGENRE_PROFILE_ALL=1), headed
# "# ... build before|after ...": the mean time of middle-flow blocks 4-11 rep.7 steps (the ones that add the residual)
# over the mean of their rep.1 and rep.4 steps, and the whole pass. Usage: python3 benchmarks/residual-step-ratio.py FILE
import re,sys,statistics as st
side=None; runs=[]
for line in open(sys.argv[1]):
    m=re.match(r'# .* build (\w+)',line)
    if m: side=m.group(1); runs.append([side,{},None]); continue
    m=re.search(r'whole pass median ([\d.]+)',line)
    if m and runs: runs[-1][2]=float(m.group(1))
    m=re.match(r'\s+([\d.]+)\s+[\d.]+\s+\S+\s+\S+\s+\S+\s+(block\d+\.rep\.\d)\.pointwise',line)
    if m and runs: runs[-1][1][m.group(2)]=float(m.group(1))
for side,steps,whole in runs:
    r7=[v for k,v in steps.items() if k.endswith('rep.7') and 4<=int(k[5:k.index('.')])<=11]
    r14=[v for k,v in steps.items() if (k.endswith('rep.1') or k.endswith('rep.4')) and 4<=int(k[5:k.index('.')])<=11]
    print(f"{side:6} rep7 n={len(r7)} mean {st.mean(r7):.3f}  rep1/4 n={len(r14)} mean {st.mean(r14):.3f}  ratio {st.mean(r7)/st.mean(r14):.3f}  whole pass {whole}")
