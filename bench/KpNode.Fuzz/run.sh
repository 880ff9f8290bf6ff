#!/usr/bin/env bash
# Fuzzes the Peer API's decoding and verification path with AFL++ and SharpFuzz for about RUNS inputs, then prints
# inputs tried and crashes (figures and how to read them: bench/RESULTS.md).
#   usage: bench/KpNode.Fuzz/run.sh [RUNS] [RAW_OUTPUT_FILE]
# Installs what it needs (Debian afl++, the SharpFuzz.CommandLine dotnet tool) itself; everything it makes, the
# generated PKI's private keys among it, stays under bench/KpNode.Fuzz/out/ (git-ignored).
set -euo pipefail
runs=${1:-1000000}
raw=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null; then
  echo "== installing afl++ (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [ ! -x "$out/tools/sharpfuzz" ]; then
  echo "== installing the SharpFuzz.CommandLine tool"
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$out/tools" >/dev/null
fi

echo "== publish and instrument (kpnode.dll, Google.Protobuf.dll)"
rm -rf "$out/build"
dotnet publish "$here/KpNode.Fuzz.csproj" -c Release -o "$out/build" -warnaserror >/dev/null
"$out/tools/sharpfuzz" "$out/build/kpnode.dll" >/dev/null
"$out/tools/sharpfuzz" "$out/build/Google.Protobuf.dll" >/dev/null

echo "== seed corpus (signed with a dev PKI generated in $out/work)"
rm -rf "$out/work" "$out/corpus" "$out/findings"
dotnet "$out/build/KpNode.Fuzz.dll" corpus --work "$out/work" --out "$out/corpus"

echo "== afl-fuzz -E $runs"
# No core dumps to catch (the target is managed code that reports its own crashes), no CPU pinning on a shared box.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
start=$(date +%s)
afl-fuzz -i "$out/corpus" -o "$out/findings" -t 10000 -m none -E "$runs" -- \
  dotnet "$out/build/KpNode.Fuzz.dll" afl --work "$out/work" >"$out/afl.log" 2>&1 || { tail -40 "$out/afl.log"; exit 1; }
seconds=$(( $(date +%s) - start ))

stats="$out/findings/default/fuzzer_stats"
stat() { sed -n "s/^$1 *: *//p" "$stats"; }
crashes=$(find "$out/findings/default/crashes" -type f -name 'id:*' | wc -l)
summary="inputs tried: $(stat execs_done), crashes: $crashes (saved by afl: $(stat saved_crashes)), hangs: $(stat saved_hangs), seconds: $seconds, \
rate: $(stat execs_per_sec)/s (last: $(stat execs_ps_last_min)), corpus: $(stat corpus_count) inputs, edges: $(stat edges_found) ($(stat bitmap_cvg) of the map), stability: $(stat stability)"
if [ "$crashes" -gt 0 ]; then
  echo "== replaying the crashes"
  dotnet "$out/build/KpNode.Fuzz.dll" replay --work "$out/work" "$out"/findings/default/crashes/id:* || true
fi
if [ -n "$raw" ]; then
  { echo "\$ bench/KpNode.Fuzz/run.sh $runs"; date -u; cat "$stats"; echo "$summary"; } >"$raw"
fi
echo "$summary"
