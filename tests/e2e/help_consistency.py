#!/usr/bin/env python3
"""tests/e2e/help_consistency.py BIN SOURCE_DIR — `--help` and the docs say the same thing.

For every subcommand listed by `nfegress --help`:
  * every flag its `--help` prints is documented under `### nfegress SUB` in docs/operations.md
    (section "Command reference"), and every flag documented there exists in its `--help`;
  * every `nfegress SUB ... --flag` written anywhere in README.md or docs/*.md names a flag SUB really has.
A subcommand whose --help fails is reported and counts as a failure, except a placeholder that says
"not implemented yet" (still under construction; its docs are then not checked).
Exit 0 when consistent, 1 with a list of every mismatch.
"""
import pathlib, re, subprocess, sys

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def run(bin_, *args):
    p = subprocess.run([bin_, *args], capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout + p.stderr


def subcommands(bin_):
    rc, out = run(bin_, "--help")
    if rc != 0:
        sys.exit("nfegress --help failed:\n" + out)
    subs, inside = [], False
    for line in out.splitlines():
        if line.strip() == "commands:":
            inside = True
            continue
        if inside and line.startswith("  ") and line.strip():
            subs.append(line.split()[0])
    return subs


def reference_sections(text):
    """{sub: set(flags)} from the '### nfegress SUB' blocks of the Command reference section."""
    m = re.search(r"^## Command reference\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        return None
    out = {}
    for block in re.split(r"^### ", m.group(1), flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        words = head.strip("` \n").split()
        if len(words) >= 2 and words[0] == "nfegress":
            out[words[1]] = set(FLAG.findall(body + " " + head)) - {"--help"}
    return out


def main():
    bin_, src = sys.argv[1], pathlib.Path(sys.argv[2])
    errors, checked = [], []
    ops = (src / "docs/operations.md").read_text()
    ref = reference_sections(ops)
    if ref is None:
        sys.exit("docs/operations.md has no '## Command reference' section")
    helps = {}
    for sub in subcommands(bin_):
        rc, out = run(bin_, sub, "--help")
        if rc != 0 and "not implemented" in out:
            print(f"note: nfegress {sub} is a placeholder; not checked")
            continue
        if rc != 0:
            errors.append(f"nfegress {sub} --help exits {rc}: {out.strip()[:200]}")
            continue
        helps[sub] = set(FLAG.findall(out)) - {"--help"}
        if sub not in ref:
            errors.append(f"docs/operations.md: add '### nfegress {sub}' under '## Command reference' "
                          f"listing {sorted(helps[sub])}")
            continue
        for f in sorted(helps[sub] - ref[sub]):
            errors.append(f"docs/operations.md (### nfegress {sub}): {f} is in --help but not documented")
        for f in sorted(ref[sub] - helps[sub]):
            errors.append(f"docs/operations.md (### nfegress {sub}): documents {f}, which --help does not have")
        checked.append(sub)
    # Every `nfegress SUB ... --flag` command line in README.md and docs/*.md.
    for path in [src / "README.md", *sorted((src / "docs").glob("*.md"))]:
        for no, line in enumerate(path.read_text().splitlines(), 1):
            for m in re.finditer(r"\bnfegress ([a-z]+)\b([^`#|]*)", line):
                sub, rest = m.group(1), m.group(2)
                if sub not in helps:
                    continue
                for f in FLAG.findall(rest):
                    if f != "--help" and f not in helps[sub]:
                        errors.append(f"{path.relative_to(src)}:{no}: nfegress {sub} has no {f}")
    for e in errors:
        print("FAIL:", e)
    print(f"checked: {', '.join(checked) or 'nothing'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
