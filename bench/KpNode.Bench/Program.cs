using BenchmarkDotNet.Running;
using KpNode.Bench.Backlog;
using KpNode.Bench.Common;
using KpNode.Bench.Exchange;
using KpNode.Bench.Store;

// Benchmarks of KpNode; current figures, how to read them and the decisions they led to: bench/RESULTS.md.
const string Usage = """
    usage: dotnet run -c Release --project bench/KpNode.Bench -- <command> [options]
      exchange [--certificates N] [--concurrency C] [--rate R] [--steady-seconds S] [--raw-seconds S] [--in-flight M] [--warm-up N] [--json]
      store    [--certificates N] [--batch B] [--keep DIR | --reuse DIR] [--json]
      backup   --reuse DIR [--writers W] [--pause-ms P] [--baseline-seconds S] [--json]   (DIR filled by store --keep DIR)
      backlog  [--certificates N] [--concurrency C] [--down-seconds S] [--in-flight M] [--json]
      micro    [BenchmarkDotNet arguments, e.g. --filter '*' --job short]
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var rest = args[1..];
try
{
    return args[0] switch
    {
        "exchange" => await ExchangeBench.RunAsync(new BenchArgs(rest)),
        "store" => await StoreBench.RunAsync(new BenchArgs(rest)),
        StoreProbe.Command => await StoreProbe.RunAsync(new BenchArgs(rest)),
        "backlog" => await BacklogBench.RunAsync(new BenchArgs(rest)),
        "backup" => await BackupBench.RunAsync(new BenchArgs(rest)),
        "micro" => Micro(rest),
        _ => Fail($"unknown command '{args[0]}'"),
    };
}
catch (ArgumentException e)
{
    return Fail(e.Message);
}

static int Micro(string[] rest)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(ExchangeBench).Assembly).Run(rest);
    return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"kpnode-bench: {message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
