# Node flags of the api process, sourced by scripts/dev.sh and bench/run.sh; docker-compose.yml
# carries the same value (test/integration/deploy-files.test.ts keeps them equal).
#
# A heap cap: without one V8 lets the heap grow towards its default limit (≈ 4 GB here) before
# collecting hard, so the api's RSS grew to ≈ 400 MB under load with ≈ 60 MB live. 128 MB of old
# space and 8 MB semi-spaces keep it near 200 MB; safe because an upload is read row by row
# (src/common/tabular/xlsx-stream.ts): the largest one, 20,000 rows of .xlsx, is stored and its
# error report written within the cap (test/integration/upload-memory.test.ts).
XINYI_API_NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"
