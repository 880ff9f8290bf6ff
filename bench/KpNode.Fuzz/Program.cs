using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using KpNode.Fuzz;
using SharpFuzz;

// Fuzzing of the Peer API's decoding and verification path; how to run it and the figures: bench/RESULTS.md.
const string Usage = """
    usage: dotnet run -c Release --project bench/KpNode.Fuzz -- <command> [options]
      afl     --work DIR                       the target under afl-fuzz (SharpFuzz); run.sh starts it
      corpus  --work DIR --out DIR             write the seed corpus for the PKI in --work
      replay  --work DIR FILE...               run saved inputs (AFL's crashes, regressions) and say what each came to
      mutate  --work DIR --runs N [--seed S] [--crashes DIR]
                                               no instrumentation: N random mutations of the seeds in process
    """;

if (args.Length == 0)
    return Fail("no command");

CoverageScratch();

var options = Options(args[1..], out var files);
var work = options.GetValueOrDefault("work") ?? Path.Combine(Path.GetTempPath(), "kpnode-fuzz");
try
{
    return args[0] switch
    {
        "afl" => await AflAsync(work),
        "corpus" => await CorpusAsync(work, options.GetValueOrDefault("out") ?? throw new ArgumentException("--out DIR is required")),
        "replay" => await ReplayAsync(work, files),
        "mutate" => await MutateAsync(work, Number("runs", 1_000_000), Number("seed", 1), options.GetValueOrDefault("crashes")),
        _ => Fail($"unknown command '{args[0]}'"),
    };
}
catch (ArgumentException e)
{
    return Fail(e.Message);
}

long Number(string name, long fallback) =>
    options.TryGetValue(name, out var text) ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

static async Task<int> AflAsync(string work)
{
    using var target = await PeerApiTarget.CreateAsync(work);
    // SharpFuzz's fork server runs every input in this process; what escapes Run is reported to afl-fuzz as a crash.
    Fuzzer.Run(stream =>
    {
        using var input = new MemoryStream();
        stream.CopyTo(input);
        target.Run(input.GetBuffer().AsSpan(0, (int)input.Length));
    });
    return 0;
}

static async Task<int> CorpusAsync(string work, string outDirectory)
{
    using var target = await PeerApiTarget.CreateAsync(work);
    Directory.CreateDirectory(outDirectory);
    foreach (var (name, input) in target.Seeds.All())
    {
        File.WriteAllBytes(Path.Combine(outDirectory, name), input);
        Console.WriteLine($"{name}: {input.Length} bytes, {target.Run(input)}");
    }
    return 0;
}

static async Task<int> ReplayAsync(string work, List<string> files)
{
    using var target = await PeerApiTarget.CreateAsync(work);
    var crashes = 0;
    var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
    foreach (var file in files)
    {
        var input = File.ReadAllBytes(file);
        var mode = input.Length == 0 ? "empty" : ((PeerApiTarget.Mode)(input[0] % 4)).ToString();
        string outcome;
        try
        {
            var result = target.Run(input);
            outcome = result == Outcome.Refused ? $"Refused {target.LastRefusal}" : result.ToString();
        }
        catch (Exception e)
        {
            crashes++;
            outcome = "CRASH";
            Console.WriteLine($"{file}: CRASH {e}");
        }
        outcomes[$"{mode} -> {outcome}"] = outcomes.GetValueOrDefault($"{mode} -> {outcome}") + 1;
    }
    // What a corpus reached: e.g. how many of AFL's kept inputs got past the signature to a receipt.
    foreach (var (what, count) in outcomes)
        Console.WriteLine($"{count,7}  {what}");
    Console.WriteLine($"{files.Count} inputs replayed, {crashes} crashes");
    return crashes == 0 ? 0 : 1;
}

static async Task<int> MutateAsync(string work, long runs, long seed, string? crashDirectory)
{
    using var target = await PeerApiTarget.CreateAsync(work);
    var seeds = target.Seeds.All().Select(s => s.Input).ToArray();
    var mutator = new Mutator(new Random((int)seed), seeds);
    var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
    var crashes = 0L;
    var clock = Stopwatch.StartNew();
    for (var i = 1L; i <= runs; i++)
    {
        var input = mutator.Next();
        string outcome;
        try
        {
            outcome = target.Run(input).ToString();
        }
        catch (Exception e)
        {
            outcome = "crash";
            crashes++;
            var name = Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant();
            Console.WriteLine($"crash {name} at input {i}: {e.GetType().Name}: {e.Message}");
            if (crashDirectory is not null)
            {
                Directory.CreateDirectory(crashDirectory);
                File.WriteAllBytes(Path.Combine(crashDirectory, $"crash-{name}"), input);
            }
        }
        outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        if (i % 100_000 == 0 || i == runs)
            Console.WriteLine($"{i} inputs in {clock.Elapsed.TotalSeconds:F0} s ({i / clock.Elapsed.TotalSeconds:F0}/s), {crashes} crashes; "
                + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
    }
    Console.WriteLine($"inputs tried: {runs}, crashes: {crashes}, seconds: {clock.Elapsed.TotalSeconds:F1}");
    return crashes == 0 ? 0 : 1;
}

// In an instrumented build, the node's code that runs outside Fuzzer.Run (setup, replay) records its coverage here,
// not through SharpFuzz's null map; Fuzzer.Run then points the instrumentation at afl-fuzz's map.
static unsafe void CoverageScratch() => SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);

static Dictionary<string, string> Options(string[] args, out List<string> files)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    files = [];
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal))
        {
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{args[i]} needs a value");
            options[args[i][2..]] = args[++i];
        }
        else
        {
            files.Add(args[i]);
        }
    }
    return options;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"kpnode-fuzz: {message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
