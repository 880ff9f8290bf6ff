using System.Runtime.InteropServices;

namespace KpNode.Bench.Common;

/// <summary>What the figures were measured on, and how busy the machine was: other work shares these cores.</summary>
internal sealed record Machine(string Cpu, int Cores, string Os, string Runtime, double LoadAverage1Min)
{
    public static Machine Now() => new(
        CpuModel(), Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, LoadAverage());

    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ');
            return double.Parse(text[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    /// <summary>Peak resident set size of this process (VmHWM), in MB.</summary>
    public static double PeakRssMb() => StatusField("VmHWM:");

    public static double RssMb() => StatusField("VmRSS:");

    /// <summary>Bytes this process has passed to write-like system calls (files and sockets), from /proc/self/io.</summary>
    public static long WrittenBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/self/io").FirstOrDefault(l => l.StartsWith("wchar:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[6..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    private static double StatusField(string field)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            if (line is null)
                return double.NaN;
            var kb = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return kb / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    public override string ToString() =>
        $"{Cores} cores ({Cpu}), {Os}, {Runtime}, load average {LoadAverage1Min:0.00}";
}

/// <summary>
/// CPU time this process used since <see cref="Start"/>: per operation it is a steadier figure than wall-clock
/// rates on a machine shared with other work, which takes cores away but does not make our work cost more.
/// </summary>
internal readonly struct CpuTime
{
    private readonly TimeSpan _start;

    private CpuTime(TimeSpan start) => _start = start;

    public static CpuTime Start() => new(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime);

    public TimeSpan Elapsed => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _start;
}
