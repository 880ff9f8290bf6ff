#!/usr/bin/env python3
# Inclusive sample shares of managed functions, leaf DSOs, or what runs under one frame, from
# `perf script -F comm,tid,ip,sym,dso`. usage: perf_functions.py perf.script (dsoleaf N | incl N | under FRAME N)
import sys, collections, re
samples = []; cur = []
for line in open(sys.argv[1], errors='replace'):
    line = line.rstrip('\n')
    if not line.strip():
        if cur: samples.append(cur); cur = []
        continue
    if not line.startswith((' ', '\t')):
        cur = []; continue
    parts = line.strip().split(' ', 1)
    rest = parts[1] if len(parts) > 1 else ''
    m = re.match(r'(.*) \((.*)\)$', rest)
    sym, dso = (m.group(1), m.group(2)) if m else (rest, '')
    cur.append((sym, dso))
if cur: samples.append(cur)
N = len(samples)
def managed(sym, dso): return '[' in sym and ('JIT' in dso or 'tid' in dso or dso.endswith('.dll') or 'perf-' in dso)
def short(s):
    s = re.sub(r'\[(OptimizedTier1|InstrumentedTier|Tier0|Optimized|Tier1|QuickJitted|InstrumentedTier1|OptimizedTier1OSR)\]$', '', s)
    s = re.sub(r'^(instance )?(class |valuetype )?\S+ ', '', s)
    return s[:150]
mode = sys.argv[2]
c = collections.Counter()
if mode == 'dsoleaf':
    for s in samples: c[s[0][1].split('/')[-1]] += 1
elif mode == 'jitcallers':
    # nearest KpNode/LiteDB/Grpc/app frame above a libclrjit leaf
    for s in samples:
        if 'libclrjit' not in s[0][1] and 'libcoreclr' not in s[0][1]: continue
        if sys.argv[3] not in s[0][1]: continue
        chain = [short(sym) for sym, dso in s if managed(sym, dso)]
        c[' < '.join(chain[:int(sys.argv[4])])] += 1
elif mode == 'incl':
    for s in samples:
        seen = set()
        for sym, dso in s:
            if managed(sym, dso):
                k = short(sym)
                if k not in seen: seen.add(k); c[k] += 1
elif mode == 'under':
    target = sys.argv[3]
    tot = 0
    for s in samples:
        names = [short(sym) if managed(sym,dso) else (sym[:60]+' ('+dso.split('/')[-1]+')') for sym, dso in s]
        idx = next((i for i,n in enumerate(names) if target in n), None)
        if idx is None: continue
        tot += 1
        for n in set(names[:idx]): c[n] += 1
    print(f"under {target}: {tot} samples = {100*tot/N:.1f}%")
print(f"samples {N}")
for k, v in c.most_common(int(sys.argv[-1]) if sys.argv[-1].isdigit() and mode!='jitcallers' else 25):
    print(f"{100*v/N:5.1f}% {k}")
