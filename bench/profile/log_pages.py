#!/usr/bin/env python3
# Which pages each commit wrote, from a copy of a LiteDB 5 write-ahead log (`kpnode-log.db`): commits grouped by the
# collections whose data pages they touched, each with its pages per commit by page type, collection and index.
#
# The log must still hold the commits, so take it from a node whose checkpoints were held off. In a worktree only:
#   sed -i 's/CheckpointPages = 1000;/CheckpointPages = 60000;/' src/KpNode/Storage/NodeStore.cs
# and in bench/KpNode.Bench/Exchange/ExchangeBench.cs, right after the steady phase, copy every *.db under
# network.Root (kpnode.db and kpnode-log.db of each node) somewhere; then
#   python3 bench/profile/log_pages.py /path/to/copy/ae-kpnode-log.db 1500
#
# Page header (LiteDB 5 BasePage): page id uint32 @0, page type byte @4 (1 header, 2 collection, 3 index, 4 data),
# transaction id uint32 @14, collection page id uint32 @19. For an index page the first index node starts at @32
# and its first byte is the index slot (0 is _id; the others in the order the indexes were created), so "slot" is
# the index of the page's first node.
import collections
import struct
import sys

PAGE = 8192
TYPES = {0: 'empty', 1: 'header', 2: 'collection', 3: 'index', 4: 'data'}

path = sys.argv[1]
last = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
commits = collections.OrderedDict()
with open(path, 'rb') as log:
    while True:
        page = log.read(PAGE)
        if len(page) < PAGE:
            break
        kind = page[4]
        transaction, = struct.unpack_from('<I', page, 14)
        collection, = struct.unpack_from('<I', page, 19)
        slot = page[32] if kind == 3 else None
        commits.setdefault(transaction, []).append((TYPES.get(kind, kind), collection, slot))

chosen = list(commits)[-last:]
shapes = collections.Counter()
pages = collections.defaultdict(collections.Counter)
for transaction in chosen:
    shape = tuple(sorted({c for kind, c, _ in commits[transaction] if kind == 'data'}))
    shapes[shape] += 1
    for key in commits[transaction]:
        pages[shape][key] += 1

print(f"{len(chosen)} commits, {sum(len(commits[t]) for t in chosen) / max(1, len(chosen)):.2f} pages each")
for shape, n in shapes.most_common(4):
    print(f"commits writing data of collections {list(shape)}: {n}, {sum(pages[shape].values()) / n:.2f} pages each")
    for (kind, collection, slot), count in sorted(pages[shape].items(), key=lambda item: -item[1]):
        if count / n >= 0.05:
            where = 'file' if collection == 0xFFFFFFFF else f"collection {collection}"
            print(f"   {kind:10} {where:16} {'' if slot is None else f'index slot {slot}':14} {count / n:.2f}")
