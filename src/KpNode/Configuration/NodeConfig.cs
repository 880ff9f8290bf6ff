using KpNode.Domain;

namespace KpNode.Configuration;

/// <summary>A node configuration file, loaded, with paths resolved against the file and every key checked.</summary>
internal sealed class NodeConfig
{
    /// <summary>Prefix of environment variables that override the file, e.g. KPNODE_Node__PeerEndpoint.</summary>
    public const string EnvironmentPrefix = "KPNODE_";

    private NodeConfig(string filePath, IConfiguration configuration, NodeOptions options)
    {
        FilePath = filePath;
        Configuration = configuration;
        Options = options;
        PeerListen = Listen(options.PeerEndpoint);
        LocalListen = Listen(options.LocalEndpoint);
        OperationsListen = Listen(options.Operations.Endpoint);
    }

    public string FilePath { get; }

    /// <summary>The file with its overrides, which the host binds each options section from.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>The options with every path made absolute.</summary>
    public NodeOptions Options { get; }

    public ListenAddress PeerListen { get; }

    public ListenAddress LocalListen { get; }

    /// <summary>Where the plain-HTTP operations endpoint (metrics, status page) listens.</summary>
    public ListenAddress OperationsListen { get; }

    public string Participant => Options.Participant;

    /// <summary>The participants named under Node:AdmittedParticipants, which the certificate rules accept besides the built-in table.</summary>
    public IReadOnlyList<KpParticipant> AdmittedParticipants =>
        [.. Options.AdmittedParticipants.Select(a => new KpParticipant(a.Code, a.Name, ParticipantKind.Participant))];

    /// <summary>Loads and checks the file; throws <see cref="ConfigurationProblemException"/> listing every problem.</summary>
    public static NodeConfig Load(string path, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ConfigurationProblemException(fullPath,
                [$"--config: the file {fullPath} does not exist (see node-config/ for examples)"]);
        }

        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(fullPath, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .AddInMemoryCollection(overrides ?? [])
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationProblemException(fullPath, [JsonProblem(fullPath, e)]);
        }

        var problems = new List<string>();
        problems.AddRange(UnknownKeys.Check(configuration.GetSection(ConfigKeys.Node), typeof(NodeOptions)));
        configuration = WithoutBadEnums(configuration, problems);
        var options = new NodeOptions();
        try
        {
            configuration.GetSection(ConfigKeys.Node).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{ConfigKeys.Node}: {e.Message}");
        }

        ResolvePaths(options, Path.GetDirectoryName(fullPath)!);
        problems.AddRange(Problems(options));
        if (problems.Count > 0)
        {
            throw new ConfigurationProblemException(fullPath, problems);
        }

        return new NodeConfig(fullPath, configuration, options);
    }

    /// <summary>A JSON syntax error with its place in the file (1-based line and column), as an editor shows it.</summary>
    private static string JsonProblem(string path, Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Text.Json.JsonException { LineNumber: { } line, BytePositionInLine: { } column } json)
            {
                var what = json.Message.Split(" LineNumber:", 2)[0].Trim();
                return $"{path}: line {line + 1}, column {column + 1}: the file is not valid JSON: {what}";
            }
        }

        return $"{path}: the file is not valid JSON: {e.InnerException?.Message ?? e.Message}";
    }

    /// <summary>Every problem the sections' validators find, in the order of the file.</summary>
    public static IEnumerable<string> Problems(NodeOptions options) =>
        NodeOptionsValidator.Check(options)
            .Concat(TradePolicyOptionsValidator.CheckOrigins(ConfigKeys.Key(ConfigKeys.TradePolicy, "RefusedOrigins"), options.TradePolicy.RefusedOrigins))
            .Concat(DeliveryOptionsValidator.Check(options.Delivery))
            .Concat(OperationsOptionsValidator.Check(options.Operations));

    /// <summary>Paths in the file are relative to the file.</summary>
    public void ResolvePaths(NodeOptions options) => ResolvePaths(options, Path.GetDirectoryName(FilePath)!);

    private static void ResolvePaths(NodeOptions options, string baseDir)
    {
        string Resolve(string p) => string.IsNullOrWhiteSpace(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));
        options.DataDirectory = Resolve(options.DataDirectory);
        options.PkiDirectory = Resolve(options.PkiDirectory);
        foreach (var partner in options.Partners)
        {
            partner.RootCertificate = Resolve(partner.RootCertificate);
        }
    }

    /// <summary>
    /// Enum keys (a partner's Standing, the log format) are bound as enums; a value that is none of the names is
    /// reported like any other bad key, and bound as the default meanwhile so that the other keys are still checked.
    /// </summary>
    private static IConfiguration WithoutBadEnums(IConfiguration configuration, List<string> problems)
    {
        var replaced = new Dictionary<string, string?>();
        void Check<TEnum>(IConfigurationSection section, TEnum fallback, Func<string, string> problem)
            where TEnum : struct, Enum
        {
            if (section.Value is { } value && !(Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)))
            {
                problems.Add(problem(value));
                replaced[section.Path] = fallback.ToString();
            }
        }

        foreach (var partner in configuration.GetSection(ConfigKeys.Node).GetSection("Partners").GetChildren())
        {
            var index = int.TryParse(partner.Key, out var i) ? i : -1;
            Check(partner.GetSection("Standing"), PartnerStanding.Active, value => NodeOptionsValidator.StandingProblem(index, value));
        }

        Check(configuration.GetSection(ConfigKeys.Operations).GetSection("LogFormat"), LogFormat.Simple, OperationsOptionsValidator.LogFormatProblem);

        return replaced.Count == 0 ? configuration
            : new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(replaced).Build();
    }

    private static ListenAddress Listen(string value) =>
        ListenAddress.TryParse(value, out var address) ? address : throw new InvalidOperationException($"checked by {nameof(NodeOptionsValidator)}: {value}");
}
