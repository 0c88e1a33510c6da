# Node flags of the api process, sourced by scripts/dev.sh and bench/run.sh; docker-compose.yml
# carries the same value (test/integration/deploy-files.test.ts keeps them equal).
#
# A heap cap: without one V8 lets the heap grow towards its default limit (≈ 4 GB here) before
# collecting hard, so the api's RSS grew to ≈ 400 MB under load with ≈ 60 MB live. 128 MB of old
# space and 8 MB semi-spaces keep it near 200 MB; safe because an upload is read row by row
# (src/common/tabular/xlsx-stream.ts): the largest one, 20,000 rows of .xlsx, is stored and its
# error report written within the cap (test/integration/upload-memory.test.ts).
XINYI_API_NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"

# glibc's malloc, in the api's environment (GLIBC_TUNABLES; ignored by other C libraries). A
# password check allocates argon2's 19 MiB (m = 19456 KiB) on a libuv pool thread. glibc serves
# a block that large by mmap and unmaps it on free, but each free of such a block raises its mmap
# threshold (up to 32 MiB), so from the second check on the 19 MiB come from the thread's malloc
# arena and stay resident: ≈ 19 MB per pool thread (four), ≈ 40–80 MB kept after a few logins,
# under everything else the api holds. A fixed threshold (128 KiB, glibc's default start) turns
# the adjustment off: large blocks are mapped and returned each time.
# Bare node, 8 hashes one after another: RSS 41.9 → 80.8 MB without it, 41.9 → 42.8 MB with it.
XINYI_API_GLIBC_TUNABLES="glibc.malloc.mmap_threshold=131072"
