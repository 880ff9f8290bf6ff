using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Trust;

/// <summary>Fixed times and hand-made envelopes for the trust tests.</summary>
internal static class TrustTestData
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public const string PayloadType = "application/vnd.kp.v1.certificate-issued+protobuf";

    public static readonly byte[] Payload = "ZA-2026-000123 issued to BE, 3 parcels, 1204.55 ct"u8.ToArray();

    public static ParticipantCredentials Pki(string participant = "ZA") => DevPki.Create(participant, [], Now);

    /// <summary>
    /// Signs PAE(type, payload) with <paramref name="key"/> and attaches <paramref name="x5c"/>,
    /// bypassing EnvelopeSigner's own refusals, to build envelopes a careless or hostile partner could send.
    /// </summary>
    public static Envelope SignByHand(ECDsa key, IEnumerable<X509Certificate2> x5c, string payloadType, byte[] payload)
    {
        var chain = x5c.ToList();
        var signature = new Signature
        {
            Sig = ByteString.CopyFrom(key.SignData(Pae.Encode(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            Keyid = Convert.ToHexStringLower(SHA256.HashData(chain[0].RawData)),
        };
        signature.X5C.AddRange(chain.Select(c => ByteString.CopyFrom(c.RawData)));
        return new Envelope { Payload = ByteString.CopyFrom(payload), PayloadType = payloadType, Signatures = { signature } };
    }

    public static Envelope SignByHand(X509Certificate2 signerWithKey, string payloadType, byte[] payload)
    {
        using var key = signerWithKey.GetECDsaPrivateKey()!;
        return SignByHand(key, [signerWithKey], payloadType, payload);
    }
}

/// <summary>A private temporary directory removed at the end of the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("kpnode-trust-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
