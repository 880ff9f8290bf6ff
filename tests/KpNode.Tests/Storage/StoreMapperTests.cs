using KpNode.Domain;
using KpNode.Storage;
using LiteDB;

namespace KpNode.Tests.Storage;

public sealed class StoreMapperTests
{
    [Fact]
    public void Every_collection_of_the_store_maps_a_type_the_mapper_builds_before_the_store_is_shared()
    {
        var collections = typeof(NodeStore.OpenFile).GetProperties()
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(ILiteCollection<>))
            .Select(p => p.PropertyType.GetGenericArguments()[0]).ToList();
        Assert.NotEmpty(collections);
        Assert.All(collections, t => Assert.Contains(t, StoreMapper.DocumentTypes));
        // Nested classes are built too: an event inside a certificate is read by the same race.
        Assert.Contains(typeof(CertificateEventDocument), StoreMapper.MappedTypes(StoreMapper.DocumentTypes));
        Assert.Contains(typeof(HsLineDocument), StoreMapper.MappedTypes(StoreMapper.DocumentTypes));
    }

    [Fact]
    public async Task A_certificate_read_for_the_first_time_on_many_threads_at_once_reads_back_whole_on_each()
    {
        var history = Enumerable.Range(0, 5).Select(i => new HistoryEntry(Sample.Noon.AddMinutes(i), CertificateStatus.Delivered, $"event {i}"));
        var stored = StoreMapper.Create().ToDocument(CertificateDocument.From(Sample.Certificate("ZA-2025-000001", CertificateStatus.Delivered, history: history)));

        // A fresh mapper per round: the first reads of a type on a newly opened store are the ones at risk.
        for (var round = 0; round < 50; round++)
        {
            var mapper = StoreMapper.Create();
            using var start = new Barrier(8);
            var read = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return mapper.ToObject<CertificateDocument>(stored);
            }, TaskCreationOptions.LongRunning)).ToArray();
            foreach (var document in await Task.WhenAll(read))
            {
                Assert.Equal(CertificateStatus.Delivered, document.Status);
                Assert.All(document.History, e => Assert.Equal(CertificateStatus.Delivered, e.Status));
                Assert.Equal(2, document.HsLines.Count);
                Assert.All(document.HsLines, l => Assert.NotEqual(0, l.CaratsHundredths));
            }
        }
    }
}
