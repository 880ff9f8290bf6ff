#!/usr/bin/env python3
# Sorts the samples of `perf script -F comm,tid,ip,sym,dso` into where KpNode's time goes, by stack: the
# first rule whose frame appears in a sample's stack takes the sample. See bench/RESULTS.md for the commands.
# usage: perf_categories.py perf.script
import sys, re, collections
samples=[]; cur=[]; comm=None
for line in open(sys.argv[1], errors='replace'):
    line=line.rstrip('\n')
    if not line.strip():
        if cur: samples.append((comm,cur)); cur=[]
        continue
    if not line.startswith((' ','\t')):
        comm=line.split()[0:3]; comm=' '.join(comm); cur=[]; continue
    parts=line.strip().split(' ',1); rest=parts[1] if len(parts)>1 else ''
    m=re.match(r'(.*) \((.*)\)$', rest); sym,dso=(m.group(1),m.group(2)) if m else (rest,'')
    cur.append((sym,dso))
if cur: samples.append((comm,cur))
N=len(samples)
# ordered rules: first match wins, checking whole stack
rules=[
 ('GC threads (server GC, background GC)', lambda c,s: 'GC' in c or 'BGC' in c),
 ('tiered JIT thread', lambda c,s: 'Tiered' in c),
 ('LiteDB store writes (NodeStore write: queries, inserts, commit)', lambda c,s: any(('WriteHoldingGate' in x or 'RunGroup' in x or 'DrainQueue' in x) for x,_ in s)),
 ('fsync (LogFlusher)', lambda c,s: any('LogFlusher' in x for x,_ in s)),
 ('LiteDB reads outside writes (FindMessage, PendingOutbound)', lambda c,s: any('[LiteDB]' in x for x,_ in s)),
 ('envelope verify (x5c, chain cache, ECDSA verify)', lambda c,s: any('EnvelopeVerifier' in x for x,_ in s)),
 ('envelope sign (ECDSA sign)', lambda c,s: any('EnvelopeSigner' in x for x,_ in s)),
 ('validation (CertificateRules)', lambda c,s: any('CertificateRules' in x for x,_ in s)),
 ('TLS (OpenSSL libssl/libcrypto outside signing)', lambda c,s: any('libssl' in d for _,d in s) or any('SslStream' in x for x,_ in s)),
 ('protobuf (de)serialisation', lambda c,s: any('Google.Protobuf' in x for x,_ in s)),
 ('Polly pipeline', lambda c,s: any('[Polly' in x for x,_ in s)),
 ('HTTP/2 + gRPC + Kestrel + sockets (rest)', lambda c,s: any(k in x for x,_ in s for k in ('Kestrel','Grpc.','System.Net.Http','System.Net.Sockets','Http2'))),
 ('GC allocation / runtime helpers on workers', lambda c,s: any('libcoreclr' in d for _,d in s[:3])),
 # libcrypto has no frame pointers, so its samples cannot be traced to the signing, verifying or TLS code calling it.
 ('libcrypto (ECDSA sign/verify, SHA-256, TLS records; callers not walkable)', lambda c,s: 'libcrypto' in s[0][1]),
 ('kernel, outside the above (sockets, futexes, scheduling)', lambda c,s: 'kernel' in s[0][1]),
]
cnt=collections.Counter()
for c,s in samples:
    for name,f in rules:
        if f(c,s): cnt[name]+=1; break
    else: cnt['other']+=1
print(f"samples {N}")
for k,v in cnt.most_common(): print(f"{100*v/N:5.1f}%  {k}")
