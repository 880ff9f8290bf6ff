using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using KpNode.Bench.Common;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;

namespace KpNode.Bench.Store;

/// <summary>
/// <c>store</c>: fills a node's store with N realistic certificates in batched transactions, then measures,
/// in a fresh child process running the node on that store, start-up, lookups, lists and memory.
/// </summary>
internal static class StoreBench
{
    private const string Node = "AE";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var total = args.Int("certificates", 100_000);
        var batchSize = args.Int("batch", 1000);
        var reuse = args.Text("reuse");
        var keep = args.Text("keep") ?? reuse;
        var json = args.Flag("json");
        var machine = Machine.Now();
        var mix = TradeMix.For(Node);
        Report.Progress($"store: {total} certificates for {Node} in batches of {batchSize}; partners {string.Join(", ", mix.Partners.Select(p => $"{p.Code} {p.Weight:0.#}"))} ({mix.Source}); {machine}");

        var root = keep ?? Path.Combine(Path.GetTempPath(), $"kpnode-bench-store-{Guid.NewGuid():N}");
        var fillPath = Path.Combine(root, "fill.json");
        var samplesPath = Path.Combine(root, "samples.json");
        try
        {
            FillFigures fill;
            NodeConfig config;
            if (reuse is not null && File.Exists(fillPath))
            {
                // Probe again a store filled by an earlier run (--keep DIR), e.g. after changing the node.
                config = NodeConfig.Load(Path.Combine(root, $"{Node.ToLowerInvariant()}.json"));
                fill = JsonSerializer.Deserialize<FillFigures>(await File.ReadAllTextAsync(fillPath))!;
                total = fill.Certificates;
                Report.Progress($"reusing the store filled earlier in {root} ({total} certificates)");
            }
            else
            {
                var network = DemoNetwork.Create([(Node, $"KP authority of {Node}"), .. mix.Partners.Select(p => (p.Code, $"KP authority of {p.Code}"))], root);
                config = network[Node].Config;
                // The filler signs a year and more of past trade: keys valid since then, as a node's keys would have been.
                foreach (var n in network.Nodes)
                {
                    Directory.Delete(n.Config.Options.PkiDirectory, recursive: true);
                    PkiFiles.Write(n.Config.Options.PkiDirectory, DevPki.Create(n.Code, [], DateTimeOffset.UtcNow, validSince: TimeSpan.FromDays(800)));
                }

                var signers = network.Nodes.ToDictionary(n => n.Code, n => new EnvelopeSigner(PkiFiles.Load(n.Config.Options.PkiDirectory).DocumentSigning));
                var filled = await FillAsync(Path.Combine(config.Options.DataDirectory, "kpnode.db"), new StoreFiller(Node, mix, signers, total, seed: 42), total, batchSize);
                fill = filled.Figures;
                await File.WriteAllTextAsync(samplesPath, JsonSerializer.Serialize(filled.Samples));
                await File.WriteAllTextAsync(fillPath, JsonSerializer.Serialize(fill));
            }

            var dataPath = Path.Combine(config.Options.DataDirectory, "kpnode.db");

            Report.Progress("probe: starting the node on the filled store in a fresh process");
            var probe = await StoreProbe.SpawnAsync(config.FilePath, samplesPath);
            var filesAfterProbe = FileBytes(dataPath);
            var figures = new
            {
                benchmark = "store",
                machine,
                loadAverageAfter = Machine.LoadAverage(),
                certificates = total,
                batchSize,
                partners = mix.Partners.Select(p => $"{p.Code}:{p.Weight:0.#}").ToArray(),
                fill,
                bytesPerCertificateAfterFill = fill.FileBytes / (double)total,
                bytesPerCertificateAfterNodeRun = filesAfterProbe / (double)total,
                probe,
            };
            if (json)
            {
                Report.PrintJson(figures);
            }
            else
            {
                Console.WriteLine($"machine: {machine}; load average after {figures.loadAverageAfter:0.00}");
                Console.WriteLine($"fill: {total} certificates (+ {fill.Messages} messages, {fill.AuditEntries} audit entries) in {fill.WallSeconds:0.0} s: {fill.InsertsPerSecond:0} certificates/s in write transactions ({fill.WriteSeconds:0.0} s writing), {fill.WallInsertsPerSecond:0}/s wall incl. signing");
                Console.WriteLine($"  last 10% of the fill: {fill.LastTenthInsertsPerSecond:0} certificates/s; fill process peak RSS {fill.PeakRssMb:0} MB");
                Console.WriteLine($"per certificate: certificate document {fill.CertificateDocumentBytes} B BSON + message documents {fill.MessageDocumentBytes} B BSON (stored: the messages hold {fill.EnvelopeBytes} B of envelopes and {fill.ReceiptBytes} B of receipts, without their signer certificates); {fill.BytesWrittenPerCertificate / 1024.0:0} KiB written to the files while filling");
                Console.WriteLine($"file: {fill.FileBytes / 1e6:0.0} MB = {figures.bytesPerCertificateAfterFill:0} B per certificate (after the node ran: {figures.bytesPerCertificateAfterNodeRun:0} B)");
                Console.WriteLine($"node start-up on the store: {probe.StartMs:0} ms (NodeHost.StartAsync; opening the store alone {probe.OpenStoreMs:0} ms); its first expiry check then took {probe.StartupExpiryCheckMs:0} ms, and the queries below ran after it and after the store check at start");
                Console.WriteLine($"lookup by number, store:     {probe.LookupStore}");
                Console.WriteLine($"lookup by number, Local API: {probe.LookupApi}");
                Console.WriteLine($"list partner+status first page (51), store:     {probe.ListStore}; worst {probe.ListWorst}");
                Console.WriteLine($"list partner+status first page (50), Local API: {probe.ListApi}");
                Console.WriteLine($"pending outbound for a partner (each lane's wake-up query): {probe.PendingOutbound}");
                Console.WriteLine($"kpnode status (GetStatus: counts by status): {probe.StatusMs:0} ms");
                Console.WriteLine($"node memory by phase: {string.Join("; ", probe.RssByPhase)}");
                Console.WriteLine($"node process RSS: {probe.RssAfterStartMb:0} MB after start, peak {probe.PeakRssMb:0} MB after the queries (GC heap {probe.GcHeapMb:0} MB)");
            }

            return 0;
        }
        finally
        {
            if (keep is null)
                TryDelete(root);
        }
    }

    private sealed record FillResult(FillFigures Figures, StoreSamples Samples);

    private static async Task<FillResult> FillAsync(string dataPath, StoreFiller filler, int total, int batchSize)
    {
        var batches = Channel.CreateBounded<FilledCertificate[]>(2);
        var producer = Task.Run(async () =>
        {
            for (var made = 0; made < total; made += batchSize)
                await batches.Writer.WriteAsync(filler.NextBatch(batchSize));
            batches.Writer.Complete();
        });

        var random = new Random(9);
        var mapper = StoreMapper.Create();
        long certificateBson = 0, messageBson = 0, envelopeBytes = 0, receiptBytes = 0, sized = 0;
        var writtenBefore = Machine.WrittenBytes();
        var numbers = new List<string>();
        var lists = new List<ListSample>();
        long seen = 0, audits = 0, messages = 0, writeTicks = 0, lastTenthTicks = 0, lastTenthCount = 0;
        var wall = Stopwatch.StartNew();
        using (var store = NodeStore.Open(dataPath, TimeProvider.System))
        {
            await foreach (var batch in batches.Reader.ReadAllAsync())
            {
                var t0 = Stopwatch.GetTimestamp();
                store.Write(w =>
                {
                    foreach (var c in batch)
                    {
                        w.InsertCertificate(c.Certificate);
                        foreach (var message in c.Messages)
                            w.InsertMessage(message);
                        foreach (var (actor, action, detail) in c.Audits)
                            w.Audit(actor, action, c.Certificate.Number, detail);
                    }

                    return 0;
                });
                var ticks = Stopwatch.GetTimestamp() - t0;
                writeTicks += ticks;
                foreach (var c in batch)
                {
                    seen++;
                    audits += c.Audits.Length;
                    messages += c.Messages.Length;
                    if (seen > total * 9L / 10)
                    {
                        lastTenthCount++;
                    }

                    if (seen % 100 == 0)
                    {
                        // What one certificate costs in BSON: its document, its message, and the envelopes the message holds.
                        sized++;
                        certificateBson += LiteDB.BsonSerializer.Serialize(mapper.ToDocument(c.Certificate)).Length;
                        // The message as stored: its envelopes without their signers' certificates (EnvelopePacking).
                        messageBson += c.Messages.Sum(m => LiteDB.BsonSerializer.Serialize(mapper.ToDocument(store.Messages.FindById(m.Id))).Length);
                        envelopeBytes += c.Messages.Sum(m => m.Envelope.Length);
                        receiptBytes += c.Messages.Sum(m => m.ReceiptEnvelope?.Length ?? 0);
                    }

                    // Reservoir samples: lookups spread over the whole store, lists weighted as the data is.
                    Reservoir(numbers, 10_000, c.Certificate.Number);
                    Reservoir(lists, 1_000, new ListSample(c.Certificate.Partner, c.Certificate.Status));
                }

                if (seen > total * 9L / 10)
                    lastTenthTicks += ticks;
                if (seen % Math.Max(batchSize, total / 10 / batchSize * batchSize) == 0)
                    Report.Progress($"  {seen} certificates, {seen / (writeTicks / (double)Stopwatch.Frequency):0}/s in writes, RSS {Machine.RssMb():0} MB");
            }

            await producer;
            store.Write(w =>
            {
                foreach (var (key, value) in filler.Sequences)
                    store.Sequences.Upsert(new SequenceDocument { Id = key, Value = value });
                return 0;
            });
            await store.FlushAsync();
        }

        wall.Stop();
        var writeSeconds = writeTicks / (double)Stopwatch.Frequency;
        var figures = new FillFigures(total, audits, wall.Elapsed.TotalSeconds, writeSeconds, total / writeSeconds, total / wall.Elapsed.TotalSeconds,
            lastTenthCount / (lastTenthTicks / (double)Stopwatch.Frequency), FileBytes(dataPath), Machine.PeakRssMb(),
            certificateBson / Math.Max(1, sized), messageBson / Math.Max(1, sized), envelopeBytes / Math.Max(1, sized), receiptBytes / Math.Max(1, sized),
            (Machine.WrittenBytes() - writtenBefore) / total, messages);
        // The operator's "what is stuck" query is part of the mix too.
        lists.AddRange(Enumerable.Repeat(new ListSample(lists[0].Partner, CertificateStatus.Issued), 10));
        return new FillResult(figures, new StoreSamples(numbers, lists));

        void Reservoir<T>(List<T> sample, int size, T item)
        {
            if (sample.Count < size)
                sample.Add(item);
            else if (random.NextInt64(seen) is var j && j < size)
                sample[(int)j] = item;
        }
    }

    private static long FileBytes(string dataPath)
    {
        var log = Path.Combine(Path.GetDirectoryName(dataPath)!, Path.GetFileNameWithoutExtension(dataPath) + "-log.db");
        return new FileInfo(dataPath).Length + (File.Exists(log) ? new FileInfo(log).Length : 0);
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>How fast the store filled and how large it became.</summary>
internal sealed record FillFigures(
    int Certificates, long AuditEntries, double WallSeconds, double WriteSeconds, double InsertsPerSecond, double WallInsertsPerSecond,
    double LastTenthInsertsPerSecond, long FileBytes, double PeakRssMb,
    long CertificateDocumentBytes = 0, long MessageDocumentBytes = 0, long EnvelopeBytes = 0, long ReceiptBytes = 0, long BytesWrittenPerCertificate = 0,
    long Messages = 0);

/// <summary>One list query an operator makes: a partner and a status.</summary>
internal sealed record ListSample(string Partner, CertificateStatus Status);

/// <summary>What the probe queries: numbers known to be stored, and partner+status pairs weighted as the data is.</summary>
internal sealed record StoreSamples(List<string> Numbers, List<ListSample> Lists);
