# Sourced by make-fixtures.sh and predict-library.sh: longer titles made from the 5.3 s Big Buck
# Bunny clip, for prediction (a title must be long enough to sample) and its benchmark.
#
#   bbb_views BBB WIDTH HEIGHT OUT.mkv
#
# Writes 42.24 s of lossless video (FFV1) at WIDTHxHEIGHT with the clip's audio (FLAC): the clip
# seen eight ways (as is, mirrored, reversed, zoomed pans), so that samples spread over the
# title see differing pictures and eight hard cuts, as in a film, not the same 5 s over again.
# Deterministic: bitexact, no metadata.
bbb_views() {
  local bbb="$1" width="$2" height="$3" out="$4"
  local views=(
    ""
    "hflip,"
    "reverse,"
    "crop=854:480:0:0,"
    "crop=854:480:426:240,"
    "reverse,hflip,crop=960:540:160:90,"
    "vflip,hflip,"
    "crop=640:360:320:180,"
  )
  local inputs=() graph="" joined="" i
  for i in "${!views[@]}"; do
    inputs+=(-i "$bbb")
    # 132 pictures (5.28 s) and as much audio, each view starting at zero.
    graph+="[$i:v]trim=end_frame=132,setpts=PTS-STARTPTS,${views[$i]}scale=$width:$height,setsar=1[v$i];"
    graph+="[$i:a]atrim=end=5.28,asetpts=PTS-STARTPTS[a$i];"
    joined+="[v$i][a$i]"
  done
  ffmpeg -nostdin -hide_banner -loglevel error -y "${inputs[@]}" \
    -filter_complex "${graph}${joined}concat=n=${#views[@]}:v=1:a=1[v][a]" -map '[v]' -map '[a]' \
    -c:v ffv1 -pix_fmt yuv420p -c:a flac -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    -map_metadata -1 "$out"
}
