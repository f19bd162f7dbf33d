# Sourced by tools/*/run.sh: `python_tool <name> <version> <requirement>` installs a pinned PyPI
# tool into its own venv under ${TAP_CACHE:-~/.cache} (once per machine) and sets TOOL_BIN to the
# venv's bin directory; returns 3 when it cannot be installed.
python_tool() {
  local dir="${TAP_CACHE:-$HOME/.cache}/tap-$1-$2"
  TOOL_BIN="$dir/bin"
  [ -x "$TOOL_BIN/python" ] && [ -f "$dir/.installed" ] && return 0
  echo "$1: installing $3 into $dir"
  python3 -m venv "$dir" && "$TOOL_BIN/pip" install -q --disable-pip-version-check "$3" &&
    touch "$dir/.installed" || { echo "$1: could not install $3" >&2; return 3; }
}
