using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Bench.Micro;

/// <summary>CertificateRules.Validate on a realistic certificate, as the issuer and as the receiver run it.</summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private MicroFixture _f = null!;
    private CertificateDraft _draft = null!;
    private CertificateRulesContext _receiving = null!;

    [GlobalSetup]
    public void Setup()
    {
        _f = new MicroFixture();
        _draft = CertificateMapping.ToDraft(_f.Draft);
        _receiving = CertificateRulesContext.ForReceived(MicroFixture.Today, ["AE"]);
    }

    [Benchmark(Description = "map proto to draft + validate")]
    public bool MapAndValidate() => CertificateRules.Validate(CertificateMapping.ToDraft(_f.Draft), _receiving).IsValid;

    [Benchmark(Description = "validate")]
    public bool Validate() => CertificateRules.Validate(_draft, _receiving).IsValid;
}

/// <summary>Signing an envelope with the document-signing key (ECDSA P-256, DER signature, x5c attached).</summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private MicroFixture _f = null!;

    [GlobalSetup]
    public void Setup() => _f = new MicroFixture();

    [Benchmark(Description = "sign certificate envelope")]
    public Envelope Sign() => _f.Signer.Sign(PayloadTypes.CertificateIssued, _f.Payload);
}

/// <summary>
/// Verifying an envelope (x5c parse, chain to the partner's root, signature): with the node's shared
/// <see cref="TrustChain"/> and its cache, and with a fresh TrustChain per envelope (a chain build every time).
/// </summary>
[MemoryDiagnoser]
public class VerificationBenchmarks
{
    private MicroFixture _f = null!;
    private EnvelopeVerifier _shared = null!;

    [GlobalSetup]
    public void Setup()
    {
        _f = new MicroFixture();
        _shared = new EnvelopeVerifier(new TrustChain());
        _shared.Verify(_f.Envelope, _f.Anchors, DateTimeOffset.UtcNow);
    }

    [Benchmark(Baseline = true, Description = "verify, shared chain cache")]
    public object VerifyShared() => _shared.Verify(_f.Envelope, _f.Anchors, DateTimeOffset.UtcNow);

    [Benchmark(Description = "verify, fresh TrustChain per op")]
    public object VerifyFresh() => new EnvelopeVerifier(new TrustChain()).Verify(_f.Envelope, _f.Anchors, DateTimeOffset.UtcNow);

    [Benchmark(Description = "parse + verify from wire bytes, shared cache")]
    public object ParseAndVerifyShared() => _shared.Verify(Envelope.Parser.ParseFrom(_f.EnvelopeBytes), _f.Anchors, DateTimeOffset.UtcNow);
}

/// <summary>Envelope encoding: the PAE the signature covers, and the protobuf round trips on the hot path.</summary>
[MemoryDiagnoser]
public class EnvelopeEncodingBenchmarks
{
    private MicroFixture _f = null!;

    [GlobalSetup]
    public void Setup() => _f = new MicroFixture();

    [Benchmark(Description = "PAE encode")]
    public byte[] PaeEncode() => Pae.Encode(PayloadTypes.CertificateIssued, _f.Payload);

    [Benchmark(Description = "CertificateIssued to bytes")]
    public byte[] PayloadToBytes() => _f.Issued.ToByteArray();

    [Benchmark(Description = "Envelope to bytes")]
    public byte[] EnvelopeToBytes() => _f.Envelope.ToByteArray();

    [Benchmark(Description = "Envelope from bytes")]
    public Envelope EnvelopeFromBytes() => Envelope.Parser.ParseFrom(_f.EnvelopeBytes);

    [Benchmark(Description = "Envelope + CertificateIssued from bytes")]
    public CertificateIssued PayloadFromBytes() => CertificateIssued.Parser.ParseFrom(Envelope.Parser.ParseFrom(_f.EnvelopeBytes).Payload);
}
