#!/usr/bin/env bash
# The source tree's shape (issue 13), checked on the sources as they are:
#  (a) a command of several files is a folder: no src/cmd/X.c beside a
#      src/cmd/X/ folder or a src/cmd/X_ROLE.c file;
#  (b) a static function name is defined in one file of src/cmd only
#      (role prefixes: `grep -rn '^run(' src/cmd` finds one definition);
#  (c) getopt_long is called in src/opts.c alone;
#  (d) src/net and src/proto never print.
# Each rule is first run on a small tree made here with one planted
# violation, so a rule that can no longer fail fails this test.
. "$(dirname "$0")/lib.sh" "$@"

SRC=$(cd "$(dirname "$0")/../.." && pwd)/src
# (b) fails by default; NK_LAYOUT_STATICS=0 only reports duplicate names
# (for a tree in the middle of a rename).
STATICS=${NK_LAYOUT_STATICS:-1}

# Lines that are comments (or the inside of a block comment) are not code.
code_lines() { grep -vE '^[[:space:]]*(/\*|\*|//)' "$@"; }

# (a) prints each flat file that belongs to a command of several files.
rule_folders() {
    local cmd=$1/cmd f b p
    for f in "$cmd"/*.c; do
        [ -e "$f" ] || continue
        b=$(basename "$f" .c)
        [ -d "$cmd/$b" ] && echo "src/cmd/$b.c: beside the folder src/cmd/$b/"
        for p in "$cmd/$b"_*.c; do
            [ -e "$p" ] && echo "src/cmd/$b.c: beside src/cmd/$(basename "$p")"
        done
    done
}

# (b) prints each function name defined (name at the start of a line, the
# return type on the line above) in more than one file under cmd/.
rule_statics() {
    local f
    find "$1/cmd" -name '*.c' | sort | while read -r f; do
        grep -oE '^[a-z_][a-z0-9_]*\(' "$f" | sort -u |
            sed "s|\$| ${f#"$1"/}|"
    done | awk '{ n[$1]++; w[$1] = w[$1] " src/" $2 }
                END { for (k in n) if (n[k] > 1) print k w[k] }' | sort
}

# (c) prints each call of getopt_long outside src/opts.c.
rule_getopt() {
    local f
    grep -rlE 'getopt_long[[:space:]]*\(' "$1" | sort | while read -r f; do
        [ "${f#"$1"/}" = opts.c ] && continue
        code_lines "$f" | grep -qE 'getopt_long[[:space:]]*\(' &&
            echo "src/${f#"$1"/}: calls getopt_long"
    done
}

# (d) prints each file of net/ or proto/ with a printing call.
PRINTERS='(^|[^a-z0-9_])(printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|perror|nk_diag)[[:space:]]*\('
rule_print() {
    local f
    for f in $(find "$1/net" "$1/proto" -name '*.c' -o -name '*.h' | sort); do
        code_lines "$f" | grep -qE "$PRINTERS" &&
            echo "src/${f#"$1"/}: prints"
    done
}

# --- each rule catches its violation, and only it ---------------------------

fixture() {
    local t=$NK_TMP/fix_$1
    mkdir -p "$t/cmd/multi" "$t/net" "$t/proto"
    printf 'static int\none(void)\n{\n    return 1;\n}\n' >"$t/cmd/single.c"
    printf 'static int\nmulti_run(void)\n{\n    return 0;\n}\n' >"$t/cmd/multi/main.c"
    printf 'int\nnk_opt_parse(void)\n{\n    return getopt_long(0, 0, 0, 0, 0);\n}\n' >"$t/opts.c"
    printf '/* printf("x") in a comment is no call */\nint\nnk_x(char *b)\n{\n    return snprintf(b, 2, "x");\n}\n' >"$t/net/x.c"
    printf 'int\nnk_y(void)\n{\n    return 0;\n}\n' >"$t/proto/y.c"
    echo "$t"
}

clean=$(fixture clean)
check_eq "a clean tree: no folder finding" "$(rule_folders "$clean")" ""
check_eq "a clean tree: no duplicate name" "$(rule_statics "$clean")" ""
check_eq "a clean tree: getopt_long in opts.c only" "$(rule_getopt "$clean")" ""
check_eq "a clean tree: net and proto silent" "$(rule_print "$clean")" ""

t=$(fixture a1)
touch "$t/cmd/multi.c"
check_eq "(a) a flat file beside its folder" "$(rule_folders "$t")" \
    "src/cmd/multi.c: beside the folder src/cmd/multi/"
t=$(fixture a2)
touch "$t/cmd/single_lessons.c"
check_eq "(a) a flat file beside its role file" "$(rule_folders "$t")" \
    "src/cmd/single.c: beside src/cmd/single_lessons.c"

t=$(fixture b)
printf 'static void\none(void)\n{\n}\n' >"$t/cmd/multi/other.c"
check_eq "(b) one static name in two files" "$(rule_statics "$t")" \
    "one( src/cmd/multi/other.c src/cmd/single.c"

t=$(fixture c)
printf 'int\nf(void)\n{\n    return getopt_long (1, 0, "", 0, 0);\n}\n' >"$t/cmd/multi/own.c"
check_eq "(c) getopt_long outside opts.c" "$(rule_getopt "$t")" \
    "src/cmd/multi/own.c: calls getopt_long"

for call in 'printf("x")' 'fprintf(stderr, "x")' 'puts("x")' 'perror("x")' \
    'nk_diag("x", "y")'; do
    t=$(fixture "d${#call}")
    printf 'void\nnk_z(void)\n{\n    %s;\n}\n' "$call" >"$t/proto/y.c"
    check_eq "(d) proto calling ${call%%(*}" "$(rule_print "$t")" \
        "src/proto/y.c: prints"
done

# --- the real tree -----------------------------------------------------------

check_eq "(a) every command of several files is a folder" \
    "$(rule_folders "$SRC")" ""
found=$(rule_statics "$SRC")
if [ "$STATICS" = 0 ] && [ -n "$found" ]; then
    echo "# (b) off (NK_LAYOUT_STATICS=0): $(printf '%s\n' "$found" | wc -l)" \
        "names still defined in two files:"
    printf '%s\n' "$found" | sed 's/^/#   /'
else
    check_eq "(b) no static function name in two files of src/cmd" "$found" ""
fi
check_eq "(c) getopt_long is called in src/opts.c alone" \
    "$(rule_getopt "$SRC")" ""
check_eq "(d) src/net and src/proto never print" "$(rule_print "$SRC")" ""

nk_done
