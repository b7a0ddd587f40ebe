"""Deterministic synthetic tree for benchmarks/switch-vs-git.sh.

usage: generate.py REPO FILES MODE
  init  writes REPO/main.gen and FILES files under REPO/www (sizes 1..26 KB, mean 13.5 KB; a few hundred folders,
        one to three levels deep, of uneven size)
  one   rewrites one file (the C2 commit)
  five  rewrites 5% of the files (the C3 commit)
Every choice comes from a seeded generator, so the same arguments always give the same bytes.
"""
import base64
import os
import random
import sys


def layout(count):
    rng = random.Random(20000)
    folders = []
    for top in range(12):
        a = f"www/pkg{top:02d}"
        folders.append(a)
        for mid in range(rng.randint(3, 10)):
            b = f"{a}/mod{mid:02d}"
            folders.append(b)
            if rng.random() < 0.5:
                folders.extend(f"{b}/part{low}" for low in range(rng.randint(1, 6)))
    # Uneven folders: some hold many files, most a few dozen.
    weights = [rng.choice((1, 1, 2, 3, 8)) for _ in folders]
    return [f"{rng.choices(folders, weights)[0]}/file{i:05d}.txt" for i in range(count)]


def content(rng):
    size = rng.randint(1024, 26 * 1024)
    return base64.encodebytes(rng.randbytes(size * 3 // 4 + 3))[:size]


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    root, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    paths = layout(count)
    if mode == "init":
        rng = random.Random(42)
        total = 0
        for rel in paths:
            data = content(rng)
            write(root, rel, data)
            total += len(data)
        with open(os.path.join(root, "main.gen"), "w") as f:
            f.write('# Mirrors the www folder onto the machine (benchmarks/switch-vs-git.sh).\n')
            f.write('dir "/srv" { }\n')
            f.write('tree "/srv/www" { source = "www" }\n')
        print(f"generated {count} files in {len({os.path.dirname(p) for p in paths})} folders, {total / 1e6:.1f} MB",
              file=sys.stderr)
    else:
        rng = random.Random(2 if mode == "one" else 5)
        chosen = [rng.choice(paths)] if mode == "one" else rng.sample(paths, count * 5 // 100)
        for rel in chosen:
            write(root, rel, content(rng))
        print(f"rewrote {len(chosen)} file(s)", file=sys.stderr)


main()
