#:package LiteDB
using LiteDB;
// usage: dotnet run bench/profile/page_list.cs [store file]   (read-only; the node must be stopped)
using var db = new LiteDatabase(new ConnectionString { Filename = args.Length > 0 ? args[0] : "/tmp/kpstore1m/data/ae/kpnode.db", Connection = ConnectionType.Direct, ReadOnly = true });
var agg = new Dictionary<string, (long Pages, long Free, long Items)>();
foreach (var r in db.Execute("SELECT $ FROM $page_list").ToEnumerable().Select(x => x.AsDocument))
{
    var key = $"{r["pageType"].AsString,-10} {(r["collection"].IsNull ? "-" : r["collection"].AsString)}";
    var (p, f, i) = agg.GetValueOrDefault(key);
    agg[key] = (p + 1, f + r["freeBytes"].AsInt32, i + r["itemsCount"].AsInt32);
}
long total = agg.Values.Sum(v => v.Pages);
var certificates = Math.Max(1, db.GetCollection("certificates").LongCount());
foreach (var (k, v) in agg.OrderByDescending(x => x.Value.Pages))
    Console.WriteLine($"{k,-28} pages {v.Pages,9:N0} ({100.0 * v.Pages / total,4:0.0}%)  per certificate {v.Pages * 8192.0 / certificates:N0} B  free {100.0 * v.Free / (v.Pages * 8192.0),5:0.0}%  items {v.Items,12:N0}");
