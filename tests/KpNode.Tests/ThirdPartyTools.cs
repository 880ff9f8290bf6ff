using System.Diagnostics;

namespace KpNode.Tests;

/// <summary>
/// The clients that are not ours (Debian's chromium, python3-grpcio), installed by the test run itself so that
/// the README's `dotnet test KpNode.sln` passes on a fresh machine: as root with apt-get, else the test fails
/// with the exact line to run.
/// </summary>
internal static class ThirdPartyTools
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Debian's python3 (the one with python3-grpcio); the python3 first on PATH may be another build.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly SemaphoreSlim AptGate = new(1, 1);
    private static readonly Dictionary<string, Task> Installs = [];
    private static bool _updated;

    public const string OpenSsl = "/usr/bin/openssl";

    public static Task RequireOpenSslAsync() => RequireAsync("openssl", () => Task.FromResult(File.Exists(OpenSsl)));

    public const string PdfToPpm = "/usr/bin/pdftoppm";

    public const string ZbarImg = "/usr/bin/zbarimg";

    /// <summary>Debian poppler-utils' pdftoppm, to render a PDF as a reader would.</summary>
    public static Task RequirePopplerAsync() => RequireAsync("poppler-utils", () => Task.FromResult(File.Exists(PdfToPpm)));

    /// <summary>Debian zbar-tools' zbarimg: a QR decoder that is not ours.</summary>
    public static Task RequireZbarAsync() => RequireAsync("zbar-tools", () => Task.FromResult(File.Exists(ZbarImg)));

    public const string Curl = "/usr/bin/curl";

    public static Task RequireCurlAsync() => RequireAsync("curl", () => Task.FromResult(File.Exists(Curl)));

    /// <summary>
    /// One HTTP call with curl (<paramref name="args"/> before the URL): the HTTP status and the JSON body (default when
    /// empty); a null status when curl itself failed (a refused handshake, no connection).
    /// </summary>
    public static async Task<(int? Status, System.Text.Json.JsonElement Body)> CurlJsonAsync(IEnumerable<string> args, string url)
    {
        var run = await RunAsync(Curl, [.. args, "-w", "\n%{http_code}", url], TimeSpan.FromSeconds(30));
        if (run.ExitCode != 0)
            return (null, default);
        var split = run.Stdout.LastIndexOf('\n');
        var body = run.Stdout[..split];
        return (int.Parse(run.Stdout[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture),
            body.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>npm's @apidevtools/swagger-parser, an OpenAPI 3.0 validator that is not ours, in a folder of its own.</summary>
    public static readonly string NpmTools = Path.Combine(Path.GetTempPath(), "kpnode-tests-npm");

    private const string SwaggerParser = "@apidevtools/swagger-parser@13.1.0";

    public static Task RequireSwaggerParserAsync()
    {
        lock (Installs)
        {
            if (!Installs.TryGetValue(SwaggerParser, out var install))
            {
                install = NpmInstallAsync(SwaggerParser, Path.Combine(NpmTools, "node_modules", "@apidevtools", "swagger-parser", "package.json"));
                Installs[SwaggerParser] = install;
            }

            return install;
        }
    }

    private static async Task NpmInstallAsync(string package, string installed)
    {
        if (File.Exists(installed))
            return;
        Directory.CreateDirectory(NpmTools);
        var (exit, _, stderr) = await RunAsync("npm", ["install", "--silent", "--no-audit", "--no-fund", "--prefix", NpmTools, package], TimeSpan.FromMinutes(5));
        Assert.True(exit == 0 && File.Exists(installed), $"npm install {package} failed ({exit}): {stderr.Trim()}; install it by hand with 'npm install --prefix {NpmTools} {package}'");
    }

    public static Task RequireChromiumAsync() => RequireAsync("chromium", () => Task.FromResult(File.Exists(Chromium)));

    public static Task RequirePythonGrpcAsync() => RequireAsync("python3-grpcio", async () =>
        File.Exists(Python) && (await RunAsync(Python, ["-c", "import grpc"], TimeSpan.FromSeconds(30))).ExitCode == 0);

    /// <summary>Debian python3-cryptography: an ECDSA implementation that is not ours, for DSSE signatures.</summary>
    public static Task RequirePythonCryptographyAsync() => RequireAsync("python3-cryptography", async () =>
        File.Exists(Python) && (await RunAsync(Python, ["-c", "import cryptography.x509"], TimeSpan.FromSeconds(30))).ExitCode == 0);

    private static Task RequireAsync(string package, Func<Task<bool>> present)
    {
        lock (Installs)
        {
            if (!Installs.TryGetValue(package, out var install))
            {
                install = InstallAsync(package, present);
                Installs[package] = install;
            }

            return install;
        }
    }

    private static async Task InstallAsync(string package, Func<Task<bool>> present)
    {
        if (await present())
        {
            return;
        }

        var line = $"apt-get update && apt-get install -y {package}";
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Fail($"{package} is missing and the tests are not running as root: install it with 'sudo {line}'");
        }

        await AptGate.WaitAsync();
        try
        {
            if (!_updated)
            {
                await AptAsync(["update", "-qq"], line);
                _updated = true;
            }

            await AptAsync(["install", "-y", "-qq", "--no-install-recommends", package], line);
        }
        finally
        {
            AptGate.Release();
        }

        Assert.True(await present(), $"{package} is still missing after '{line}'");
    }

    private static async Task AptAsync(string[] args, string line)
    {
        // apt-get writes to a file, not to our pipes: a daemon a package's install script starts would hold a pipe open forever.
        var log = Path.Combine(Path.GetTempPath(), $"kpnode-tests-apt-{Guid.NewGuid():N}.log");
        try
        {
            var (exit, _, _) = await RunAsync("sh", ["-c", "exec apt-get \"$@\" </dev/null >\"$0\" 2>&1", log, .. args],
                TimeSpan.FromMinutes(8), ("DEBIAN_FRONTEND", "noninteractive"));
            Assert.True(exit == 0, $"apt-get {string.Join(' ', args)} failed ({exit}): {File.ReadAllText(log).Trim()}; install by hand with '{line}'");
        }
        finally
        {
            File.Delete(log);
        }
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args,
        TimeSpan timeout, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}");
        }

        return (process.ExitCode, await ChildOutput.OfExitedAsync(program, stdout), await ChildOutput.OfExitedAsync(program, stderr));
    }
}
