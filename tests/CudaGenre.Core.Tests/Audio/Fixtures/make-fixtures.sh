#!/usr/bin/env bash
# Makes the compressed-audio fixtures of CompressedAudioTests from one formula (the same one the tests compute):
# 1 s of stereo at 22050 Hz, five partials per channel (frequencies, amplitudes and phases drawn once at random,
# Python random.Random(2026)) under a slow amplitude envelope. Needs python3 and ffmpeg (with libmp3lame and
# libvorbis); the tests themselves need neither. Run it from this folder; it rewrites tone.{mp3,ogg,flac,opus}.
set -euo pipefail
python3 - <<'PY'
import math, struct, wave
partials = [
    [(130.923, 0.0903, 3.2159), (2802.514, 0.0423, 1.4029), (960.437, 0.0968, 4.9221), (770.715, 0.1177, 4.8262), (1785.84, 0.1004, 1.5076)],
    [(1014.208, 0.0433, 5.1319), (513.589, 0.1278, 4.3051), (1327.978, 0.0552, 1.5803), (4601.453, 0.1415, 5.0588), (4992.895, 0.0916, 0.4795)],
]
rate, n = 22050, 22050
with wave.open("/tmp/cudagenre-tone.wav", "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(rate)
    frames = bytearray()
    for i in range(n):
        t = i / rate
        env = 0.6 + 0.4 * math.sin(2 * math.pi * 1.7 * t + 0.3)
        for c in range(2):
            x = env * sum(a * math.sin(2 * math.pi * f * t + p) for f, a, p in partials[c])
            frames += struct.pack("<h", round(x * 32767))
    w.writeframes(bytes(frames))
PY
common=(-y -hide_banner -v error -i /tmp/cudagenre-tone.wav -map_metadata -1)
ffmpeg "${common[@]}" -c:a libmp3lame -b:a 64k tone.mp3
ffmpeg "${common[@]}" -c:a libvorbis -q:a 3 tone.ogg
ffmpeg "${common[@]}" -t 0.5 -c:a flac -compression_level 12 tone.flac
ffmpeg "${common[@]}" -c:a libopus -b:a 48k tone.opus
ls -l tone.*
