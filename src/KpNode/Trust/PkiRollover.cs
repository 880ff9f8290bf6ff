using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// A root rollover on our own side: the node's PKI folder takes a new root and the leaves issued under it from a
/// folder <c>pki init</c> made. The old root is kept in previous-roots.crt, newest first, so that what was signed
/// under it still verifies against it; the old leaves are kept under retired/. The node takes it at its next start.
/// </summary>
internal static class PkiRollover
{
    public sealed record Result(string Participant, string OldRootFingerprint, string NewRootFingerprint, int PreviousRoots);

    public static Result Rollover(string dir, string from, DateTimeOffset now)
    {
        using var current = PkiFiles.Load(dir);
        using var next = PkiFiles.Load(from);
        if (next.Participant != current.Participant)
            throw new PkiFileException(from, $"is a PKI of participant {next.Participant}, but {dir} is {current.Participant}'s.");
        if (next.Root.RawDataMemory.Span.SequenceEqual(current.Root.RawDataMemory.Span))
            throw new PkiFileException(from, $"holds the root {dir} already has; a rollover takes a new root (make it with 'kpnode pki init --participant {current.Participant} --out NEWDIR --root-out NEWROOTDIR').");
        if (current.PreviousRoots.Any(r => r.RawDataMemory.Span.SequenceEqual(next.Root.RawDataMemory.Span)))
            throw new PkiFileException(from, "holds one of our earlier roots: a root once retired does not come back.");
        var problems = OwnCredentials.Problems(next, from, current.Participant, now);
        if (problems.Count > 0)
            throw new PkiFileException(from, "the node would refuse to start with it: " + string.Join("; ", problems));

        // The old leaves first: once they are safe under retired/, nothing that follows can lose them.
        var retired = Path.Combine(dir, PkiRotation.RetiredFolder);
        PkiFiles.CreateOwnerOnlyDirectory(retired);
        foreach (var (purpose, kind, certificateName, keyName) in LeafRequest.Purposes)
        {
            var leaf = kind switch { LeafKind.NodeTls => current.NodeTls, LeafKind.DocumentSigning => current.DocumentSigning, _ => current.Operator };
            var stem = Path.Combine(retired, $"{purpose}-{leaf.SerialNumber}");
            PkiRotation.Keep(Path.Combine(dir, certificateName), stem + ".crt", PkiFiles.PublicFile);
            PkiRotation.Keep(Path.Combine(dir, keyName), stem + ".key", PkiFiles.OwnerOnlyFile);
        }

        // The old root's key, where a development PKI keeps it beside root.crt, belongs to the old root: kept under
        // retired/ too (the old root may still sign a revocation list for its leaves), never beside the new root.
        var oldRootKey = Path.Combine(dir, PkiFiles.RootKey);
        if (File.Exists(oldRootKey))
            PkiRotation.Keep(oldRootKey, Path.Combine(retired, $"root-{current.Root.SerialNumber}.key"), PkiFiles.OwnerOnlyFile);

        // Every file written beside its final name, then renamed: the earlier roots first, so the old root is never lost.
        X509Certificate2[] previous = [current.Root, .. current.PreviousRoots];
        var files = new List<(string Final, string Text, UnixFileMode Mode)>
        {
            (Path.Combine(dir, PkiFiles.PreviousRoots), string.Join("\n", previous.Select(r => r.ExportCertificatePem())), PkiFiles.PublicFile),
            (Path.Combine(dir, PkiFiles.RootCertificate), File.ReadAllText(Path.Combine(from, PkiFiles.RootCertificate)).TrimEnd('\n'), PkiFiles.PublicFile),
        };
        if (File.Exists(Path.Combine(from, PkiFiles.RootKey)))
            files.Add((oldRootKey, File.ReadAllText(Path.Combine(from, PkiFiles.RootKey)).TrimEnd('\n'), PkiFiles.OwnerOnlyFile));
        foreach (var (_, _, certificateName, keyName) in LeafRequest.Purposes)
        {
            files.Add((Path.Combine(dir, keyName), File.ReadAllText(Path.Combine(from, keyName)).TrimEnd('\n'), PkiFiles.OwnerOnlyFile));
            files.Add((Path.Combine(dir, certificateName), File.ReadAllText(Path.Combine(from, certificateName)).TrimEnd('\n'), PkiFiles.PublicFile));
        }

        foreach (var (final, text, mode) in files)
        {
            File.Delete(final + PkiFiles.NewSuffix);
            PkiFiles.WriteNew(final + PkiFiles.NewSuffix, text, mode);
        }

        foreach (var (final, _, _) in files)
            File.Move(final + PkiFiles.NewSuffix, final, overwrite: true);
        if (files.All(f => f.Final != oldRootKey))
            File.Delete(oldRootKey); // the new root's key is kept elsewhere; the old one is under retired/
        return new Result(current.Participant, RootFingerprint.Of(current.Root), RootFingerprint.Of(next.Root), previous.Length);
    }
}
