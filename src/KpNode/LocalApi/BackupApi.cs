using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>Backups for operators: the store copies itself beside the data, and the copy is streamed to the caller.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class BackupApi(OperatorGate gate, INodeStore store, NodeConfig config, ILogger<BackupApi> logger) : BackupService.BackupServiceBase
{
    private const int ChunkBytes = 256 * 1024;

    public override async Task TakeBackup(TakeBackupRequest request, IServerStreamWriter<TakeBackupResponse> responseStream, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        var ct = context.CancellationToken;
        var folder = Path.Combine(config.Options.DataDirectory, NodeStore.BackupWorkFolder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"kpnode-{Guid.NewGuid():N}.db");
        try
        {
            // A thread of its own: the copy holds a LiteDB read transaction, which is bound to its thread.
            BackupCut cut;
            try
            {
                cut = await Task.Factory.StartNew(() => store.Backup(path, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (Exception e) when (e is IOException or LiteDB.LiteException or UnauthorizedAccessException)
            {
                Log.BackupFailed(logger, actor.AuditName, e.Message);
                throw Wire.ApiErrors.Refuse(StatusCode.Unavailable, $"the backup could not be written beside the store ({folder}): {e.Message}");
            }

            var summary = new BackupSummary
            {
                TakenAt = Timestamp.FromDateTimeOffset(cut.TakenAt),
                AuditHeadId = cut.AuditHeadId,
                AuditHeadHash = cut.AuditHeadHash,
                WritesPaused = Duration.FromTimeSpan(cut.WritesPaused),
                Participant = config.Participant,
            };
            summary.Collections.AddRange(cut.Documents.Select(d => new BackupCollection { Name = d.Key, Documents = d.Value }));

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, useAsync: true))
            {
                var buffer = new byte[ChunkBytes];
                int read;
                while ((read = await file.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    summary.SizeBytes += read;
                    await responseStream.WriteAsync(new TakeBackupResponse { Chunk = ByteString.CopyFrom(buffer, 0, read) }, ct);
                }
            }

            summary.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            await store.WriteDurableAsync(w => w.Audit(actor.AuditName, "store.backed-up", $"sha256 {summary.Sha256[..16]}",
                $"a copy as of {cut.TakenAt:O}, audit head {cut.AuditHeadId}, {summary.SizeBytes} bytes"), ct);
            await responseStream.WriteAsync(new TakeBackupResponse { Summary = summary }, ct);
            Log.BackupTaken(logger, actor.AuditName, cut.TakenAt, cut.AuditHeadId, summary.SizeBytes, cut.WritesPaused.TotalMilliseconds);
        }
        finally
        {
            File.Delete(path);
            File.Delete(NodeStore.LogPathOf(path));
        }
    }
}
