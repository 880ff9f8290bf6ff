using Google.Protobuf;
using Google.Protobuf.Reflection;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

/// <summary>
/// Every Peer, Local and Operations method, called by a gRPC stack that is not ours (python grpcio) with bytes an
/// attacker chooses: none may end in UNKNOWN or INTERNAL, and none may write a log line a screen cannot hold.
/// </summary>
public sealed class HostileInputSweepTests : IAsyncLifetime
{
    private const int MaxLogLine = 1_000;
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    /// <summary>Inputs for a request of <paramref name="request"/>'s type, by what they are.</summary>
    internal static IEnumerable<(string Input, byte[] Bytes)> Inputs(MessageDescriptor request)
    {
        yield return ("an empty message", []);
        foreach (var malformed in Malformed(request))
            yield return malformed;
        foreach (var date in new[] { "9999-12-31", "0001-01-01", "9999Q4" })
            yield return ($"every date field {date}", WithDates(request, date).ToByteArray());
    }

    /// <summary>Bytes that are no valid message of <paramref name="request"/>'s type.</summary>
    internal static IEnumerable<(string Input, byte[] Bytes)> Malformed(MessageDescriptor request)
    {
        yield return ("a truncated varint", [0x08, 0x80]);
        yield return ("wire type 7", [0x0F, 0x00]);
        yield return ("100,000 nested groups", Enumerable.Repeat((byte)0x0B, 100_000).ToArray());
        if (InvalidUtf8(request, depth: 0) is { } utf8)
            yield return ("invalid UTF-8 in a string field", utf8);
    }

    [Fact]
    public async Task No_hostile_input_to_any_method_ends_in_UNKNOWN_or_INTERNAL_or_writes_a_log_line_over_1000_characters()
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        string Pki(string code, string file) => Path.Combine(_net.PkiDir(code), file);

        // BE's node certificate on ZA's Peer endpoint; ZA's operator on its Local endpoint (Local and Operations APIs).
        var peer = await CallAsync(_net["ZA"].Host!.PeerPort, Pki("BE", "node.crt"), Pki("BE", "node.key"), PeerExchangeService.Descriptor, HistoryService.Descriptor);
        var local = await CallAsync(_net["ZA"].Host!.LocalPort, Pki("ZA", "operator.crt"), Pki("ZA", "operator.key"),
            LocalApiService.Descriptor, OperationsService.Descriptor, PrintingService.Descriptor, AuditService.Descriptor, EvidenceService.Descriptor, BackupService.Descriptor,
            ApprovalService.Descriptor);

        var failures = peer.Concat(local)
            .Where(c => c.Answer.StartsWith("UNKNOWN", StringComparison.Ordinal) || c.Answer.StartsWith("INTERNAL", StringComparison.Ordinal))
            .Select(c => $"{c.Method} with {c.Input}: {c.Answer}")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        var longLines = _net["ZA"].Logs.Entries.Concat(_net["BE"].Logs.Entries)
            .Select(e => $"{e.Message} {e.Exception}")
            .Where(line => line.Length > MaxLogLine)
            .Select(line => $"{line.Length} characters: {line[..200]}…")
            .ToList();
        Assert.True(longLines.Count == 0, string.Join("\n", longLines));
    }

    [Fact]
    public async Task Malformed_bytes_on_Deliver_are_refused_as_not_a_valid_message_with_one_short_log_line_each()
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        string Pki(string code, string file) => Path.Combine(_net.PkiDir(code), file);
        var deliver = PeerExchangeService.Descriptor.FindMethodByName("Deliver");
        var malformed = Malformed(deliver.InputType).ToList();

        var answers = await CallAsync(_net["ZA"].Host!.PeerPort, Pki("BE", "node.crt"), Pki("BE", "node.key"),
            malformed.Select(m => ($"/{PeerExchangeService.Descriptor.FullName}/Deliver", m.Input, m.Bytes)).ToList());

        Assert.All(answers, a => Assert.StartsWith("INVALID_ARGUMENT the message is not a valid kp.v1.DeliverRequest: ", a.Answer));
        var refusals = _net["ZA"].Logs.Entries.Where(e => e.Id.Id == 1650).ToList();
        Assert.Equal(malformed.Count, refusals.Count);
        Assert.All(refusals, r => Assert.True(r.Exception is null && r.Message.Length < 400, r.Message));
    }

    private Task<List<(string Method, string Input, string Answer)>> CallAsync(int port, string certificate, string key, params ServiceDescriptor[] services) =>
        CallAsync(port, certificate, key, [.. from service in services
                                             from method in service.Methods
                                             from input in Inputs(method.InputType)
                                             select ($"/{service.FullName}/{method.Name}", input.Input, input.Bytes)]);

    private async Task<List<(string Method, string Input, string Answer)>> CallAsync(int port, string certificate, string key,
        List<(string Method, string Input, byte[] Bytes)> calls)
    {
        var file = Path.Combine(_net.Root, $"calls-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, calls.Select(c => $"{c.Method} {(c.Bytes.Length == 0 ? "-" : Convert.ToHexString(c.Bytes))}"));
        var script = Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_raw_calls.py");
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [script, $"127.0.0.1:{port}", Path.Combine(_net.PkiDir("ZA"), "root.crt"), certificate, key, file], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"{run.Stdout}\n{run.Stderr}");
        var answers = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(calls.Count, answers.Length);
        return calls.Zip(answers, (c, a) => (c.Method, c.Input, a)).ToList();
    }

    // The first string field in field-number order, reached through message fields: invalid UTF-8 where text is parsed.
    private static byte[]? InvalidUtf8(MessageDescriptor message, int depth)
    {
        foreach (var field in message.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.String))
            return LengthDelimited(field.FieldNumber, [0xC3, 0x28, 0xFF, 0xFE]);
        if (depth >= 3)
            return null;
        foreach (var field in message.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.Message))
        {
            if (InvalidUtf8(field.MessageType, depth + 1) is { } inner)
                return LengthDelimited(field.FieldNumber, inner);
        }
        return null;
    }

    private static byte[] LengthDelimited(int number, byte[] value)
    {
        using var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return bytes.ToArray();
    }

    // A message whose every string field named like a date or period (nested messages included) holds the given text.
    private static IMessage WithDates(MessageDescriptor descriptor, string date, int depth = 0)
    {
        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        foreach (var field in descriptor.Fields.InFieldNumberOrder().Where(f => !f.IsRepeated && !f.IsMap))
        {
            if (field.FieldType == FieldType.String && (field.Name.Contains("date", StringComparison.Ordinal) || field.Name is "period" or "from" or "to"))
                field.Accessor.SetValue(message, date);
            else if (field.FieldType == FieldType.Message && depth < 2 && !field.MessageType.FullName.StartsWith("google.", StringComparison.Ordinal))
                field.Accessor.SetValue(message, WithDates(field.MessageType, date, depth + 1));
        }
        return message;
    }
}
