using System.Buffers;
using System.Reflection;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Hosting;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;

namespace KpNode.Fuzz;

/// <summary>What one input came to: a refusal the node maps to a status other than UNKNOWN/INTERNAL, or an answer.</summary>
internal enum Outcome
{
    /// <summary>The request bytes are no valid message: RefusedMessages answers INVALID_ARGUMENT.</summary>
    NotAValidMessage,
    /// <summary>A workflow or adapter refusal with its status (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, ALREADY_EXISTS...).</summary>
    Refused,
    /// <summary>Deliver answered with a signed receipt (accepted or rejected), or CheckAuthenticity with a signed statement.</summary>
    Answered,
    /// <summary>EnvelopePacking gave back the very bytes it packed.</summary>
    RoundTripped,
}

/// <summary>An input made the node do what it must never do: any exception other than a refusal, or an Error log.</summary>
internal sealed class FuzzCrashException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The Peer API's decoding and verification path in process, without Kestrel: ZA's node with its real workflow,
/// verifier and LiteDB store, BE as the calling partner (already authenticated, as the handshake would have done).
/// The first input byte selects what the rest is (see <see cref="Mode"/>).
/// </summary>
internal sealed class PeerApiTarget : IDisposable
{
    public const string Us = "ZA";
    public const string Partner = "BE";

    /// <summary>What an input's first byte (modulo 4) says the rest is.</summary>
    public enum Mode : byte
    {
        /// <summary>The bytes of a DeliverRequest as they arrive in a gRPC frame.</summary>
        Deliver = 0,
        /// <summary>A payload-type choice byte and payload bytes, which the harness signs with BE's key before Deliver: reaches past the signature.</summary>
        SignedDeliver = 1,
        /// <summary>The bytes of a CheckAuthenticityRequest.</summary>
        CheckAuthenticity = 2,
        /// <summary>Bytes stored as an envelope: EnvelopePacking.Pack then Unpack must give them back.</summary>
        Packing = 3,
    }

    /// <summary>The payload types a SignedDeliver input can choose (its second byte, modulo the count).</summary>
    public static readonly string[] PayloadTypeChoices =
    [
        PayloadTypes.CertificateIssued, PayloadTypes.CertificateVoided, PayloadTypes.ImportConfirmation,
        PayloadTypes.Receipt, PayloadTypes.PingAnswer, PayloadTypes.AuthenticityStatement, "application/octet-stream",
    ];

    private static readonly Method<DeliverRequest, DeliverResponse> DeliverMethod = GeneratedMethod<DeliverRequest, DeliverResponse>("__Method_Deliver");
    private static readonly Method<CheckAuthenticityRequest, CheckAuthenticityResponse> CheckMethod =
        GeneratedMethod<CheckAuthenticityRequest, CheckAuthenticityResponse>("__Method_CheckAuthenticity");

    private readonly ServiceProvider _services;
    private readonly string _dataDirectory;
    private readonly CertificateWorkflow _workflow;
    private readonly Partner _partner;
    private readonly ErrorLogs _errors;
    private readonly EnvelopePacking _packing = new();
    private readonly int _maxMessageBytes;

    private readonly ParticipantCredentials _partnerCredentials;

    private PeerApiTarget(ServiceProvider services, ErrorLogs errors, string dataDirectory, ParticipantCredentials partnerCredentials,
        EnvelopeSigner partnerSigner, Seeds seeds)
    {
        _services = services;
        _partnerCredentials = partnerCredentials;
        _errors = errors;
        _maxMessageBytes = services.GetRequiredService<NodeConfig>().Options.MaxMessageBytes;
        _dataDirectory = dataDirectory;
        _workflow = services.GetRequiredService<CertificateWorkflow>();
        _partner = services.GetRequiredService<Partners>().Find(Partner)!;
        PartnerSigner = partnerSigner;
        Seeds = seeds;
    }

    /// <summary>BE's document-signing key, as BE's node would sign.</summary>
    public EnvelopeSigner PartnerSigner { get; }

    /// <summary>Valid inputs for this target's PKI and store: the seed corpus.</summary>
    public Seeds Seeds { get; }

    /// <summary>The status the last <see cref="Outcome.Refused"/> input would have got.</summary>
    public StatusCode LastRefusal { get; private set; }

    /// <summary>
    /// ZA's node on <paramref name="workDirectory"/>: the dev PKIs of ZA and BE are made there on first use (and reused,
    /// so a corpus written by one process verifies in the next); the store is new for each target. Before any
    /// input, ZA has issued a certificate to BE and accepted one from BE, so voids, confirmations and questions
    /// about them reach the lifecycle.
    /// </summary>
    public static async Task<PeerApiTarget> CreateAsync(string workDirectory)
    {
        var configPath = EnsurePki(Path.GetFullPath(workDirectory));
        var dataDirectory = Path.Combine(StoreRoot(), $"kpnode-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var config = NodeConfig.Load(configPath, [new(ConfigKeys.Key(ConfigKeys.Node, "DataDirectory"), dataDirectory)]);
        var credentials = PkiFiles.Load(config.Options.PkiDirectory);
        var partnerCredentials = PkiFiles.Load(Path.Combine(Path.GetDirectoryName(configPath)!, "pki", Partner.ToLowerInvariant()));

        var errors = new ErrorLogs();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(errors));
        services.AddNodeOptions(config)
            .AddSingleton(TimeProvider.System)
            .AddTrust(new NodeCredentials(credentials, config.Options.PkiDirectory), Partners.Load(config))
            .AddStore(config, TimeProvider.System)
            .AddWorkflow()
            .AddSingleton<PeerChannels>()
            .AddSingleton<IDeliverySignal, NoDispatcher>();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false });
        var signer = new EnvelopeSigner(partnerCredentials.DocumentSigning);
        var fuzz = new PeerApiTarget(provider, errors, dataDirectory, partnerCredentials, signer, new Seeds(signer, DateTime.UtcNow));
        await fuzz.Seeds.PrepareAsync(fuzz._workflow, fuzz._partner);
        if (errors.TakeFirst() is { } logged)
            throw new InvalidOperationException($"the node logged an error while the harness prepared it: {logged}");
        return fuzz;
    }

    /// <summary>Runs one input; returns how the node refused or answered it, or throws <see cref="FuzzCrashException"/>.</summary>
    public Outcome Run(ReadOnlySpan<byte> input)
    {
        // An empty input is an empty Deliver request. It must reach instrumented code: SharpFuzz reads afl-fuzz's first
        // input before afl-fuzz has written it, and a first run that touches no instrumented code aborts the run.
        var rest = input.IsEmpty ? input : input[1..];
        var outcome = (Mode)(input.IsEmpty ? 0 : input[0] % 4) switch
        {
            Mode.Deliver => Deliver(rest),
            Mode.SignedDeliver => SignedDeliver(rest),
            Mode.CheckAuthenticity => CheckAuthenticity(rest),
            _ => RoundTrip(rest.ToArray()),
        };
        if (_errors.TakeFirst() is { } logged)
            throw new FuzzCrashException($"the node logged an error for this input: {logged}");
        return outcome;
    }

    private Outcome Deliver(ReadOnlySpan<byte> requestBytes)
    {
        if (requestBytes.Length > _maxMessageBytes)
            return Refuse(StatusCode.ResourceExhausted); // grpc-dotnet's MaxReceiveMessageSize, before any parsing
        if (!TryParse(DeliverMethod, requestBytes, out var request))
            return Outcome.NotAValidMessage;
        // As PeerExchangeApi.Deliver: no envelope is INVALID_ARGUMENT before the workflow sees it.
        if (request.Envelope is null)
            return Refuse(StatusCode.InvalidArgument);
        // What the store keeps of a delivered envelope, whatever the workflow then decides.
        RoundTrip(request.Envelope.ToByteArray());
        return Workflow(() => _workflow.AcceptDeliveryAsync(_partner, request.Envelope, CancellationToken.None));
    }

    private Outcome SignedDeliver(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return Outcome.NotAValidMessage;
        var payloadType = PayloadTypeChoices[input[0] % PayloadTypeChoices.Length];
        // The signer refuses to sign nothing; an empty payload is delivered unsigned, as a partner could.
        var envelope = input.Length == 1 ? new Envelope { PayloadType = payloadType } : PartnerSigner.Sign(payloadType, input[1..].ToArray());
        return Deliver(new DeliverRequest { Envelope = envelope }.ToByteArray());
    }

    private Outcome CheckAuthenticity(ReadOnlySpan<byte> requestBytes)
    {
        if (requestBytes.Length > _maxMessageBytes)
            return Refuse(StatusCode.ResourceExhausted);
        if (!TryParse(CheckMethod, requestBytes, out var request))
            return Outcome.NotAValidMessage;
        return Workflow(() => _workflow.AnswerAuthenticityAsync(_partner, AuthenticityMapping.ToDomain(request), CancellationToken.None));
    }

    private Outcome RoundTrip(byte[] envelope)
    {
        var signers = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var stored = _packing.Pack(envelope, s => signers[s.Id] = s.Der);
        var back = _packing.Unpack(stored, id => signers.GetValueOrDefault(id));
        if (!back.AsSpan().SequenceEqual(envelope))
            throw new FuzzCrashException($"EnvelopePacking gave back {back.Length} bytes that differ from the {envelope.Length} it packed");
        return Outcome.RoundTripped;
    }

    // As grpc-dotnet with RefusedMessages: the generated marshaller reads the frame; whatever it throws is INVALID_ARGUMENT.
    private static bool TryParse<TRequest, TResponse>(Method<TRequest, TResponse> method, ReadOnlySpan<byte> bytes, out TRequest request)
        where TRequest : class where TResponse : class
    {
        try
        {
            request = method.RequestMarshaller.ContextualDeserializer(new Frame(bytes.ToArray()));
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            request = null!;
            return false;
        }
    }

    // The refusals WorkflowErrors maps to a status; anything else the call throws would reach the partner as UNKNOWN.
    private Outcome Workflow<T>(Func<Task<T>> call)
    {
        try
        {
            call().GetAwaiter().GetResult();
            return Outcome.Answered;
        }
        catch (WorkflowException e) when (WorkflowErrors.StatusFor(e.Kind) is not (StatusCode.Internal or StatusCode.Unknown))
        {
            return Refuse(WorkflowErrors.StatusFor(e.Kind));
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Internal or StatusCode.Unknown))
        {
            return Refuse(e.StatusCode);
        }
    }

    private Outcome Refuse(StatusCode status)
    {
        LastRefusal = status;
        return Outcome.Refused;
    }

    private static Method<TRequest, TResponse> GeneratedMethod<TRequest, TResponse>(string field)
        where TRequest : class where TResponse : class =>
        (Method<TRequest, TResponse>)(typeof(PeerExchangeService).GetField(field, BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null)
            ?? throw new InvalidOperationException($"PeerExchangeService.{field} not found: check the harness against this Grpc.Tools version"));

    // A store on tmpfs when there is one: a durable write's fsync there costs nothing, so the fuzzer measures parsing and rules.
    private static string StoreRoot() => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    private static string EnsurePki(string work)
    {
        var configPath = Path.Combine(work, "za.json");
        if (File.Exists(configPath))
            return configPath;
        Directory.CreateDirectory(work);
        foreach (var code in new[] { Us, Partner })
            PkiFiles.Write(Path.Combine(work, "pki", code.ToLowerInvariant()), DevPki.Create(code, [], DateTimeOffset.UtcNow));
        var config = new JsonObject
        {
            ["Node"] = new JsonObject
            {
                ["Participant"] = Us,
                ["ExportingAuthority"] = $"KP authority of {Us}",
                ["IssuingPrefixes"] = new JsonArray(Us),
                ["DataDirectory"] = "data",
                ["PkiDirectory"] = $"pki/{Us.ToLowerInvariant()}",
                ["PeerEndpoint"] = "127.0.0.1:1",
                ["LocalEndpoint"] = "127.0.0.1:2",
                ["Partners"] = new JsonArray(new JsonObject
                {
                    ["Participant"] = Partner,
                    ["Address"] = "https://localhost:3",
                    ["RootCertificate"] = $"pki/{Partner.ToLowerInvariant()}/root.crt",
                    ["ExportingAuthority"] = $"KP authority of {Partner}",
                }),
            },
        };
        File.WriteAllText(configPath, config.ToJsonString());
        return configPath;
    }

    public void Dispose()
    {
        _services.Dispose();
        PartnerSigner.Dispose();
        _partnerCredentials.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written.
        }
    }

    /// <summary>A gRPC frame's payload as grpc-dotnet hands it to a marshaller.</summary>
    private sealed class Frame(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])payload.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }

    /// <summary>The outbox is not running: queued messages stay queued.</summary>
    private sealed class NoDispatcher : IDeliverySignal
    {
        public void MessageQueued(string partner) { }

        public void PartnerSeen(string partner) { }
    }
}
