#!/usr/bin/env python3
"""Builds a layer tarball (tests of the image store), hostile ones included.

  mklayer.py OUT.tar ENTRY...      (compress afterwards with gzip/zstd if wanted)

ENTRY is TYPE:PATH[:ARG[:MODE]]:
  f:PATH:CONTENT[:MODE]   regular file          d:PATH[:MODE]            directory
  l:PATH:TARGET           symlink               h:PATH:TARGET            hard link
  c:PATH:MAJ,MIN          character device      p:PATH                   fifo
  x:PATH:K=V,K=V          file with xattrs (pax SCHILY.xattr.K)
  r:PATH:COUNT            the same path COUNT times (an empty file each; for many whiteouts)
Names are written exactly as given (".." and "/" included): no sanitising.
"""
import io
import sys
import tarfile


def add(tf, info, data=b""):
    info.size = len(data) if info.type == tarfile.REGTYPE else 0
    tf.addfile(info, io.BytesIO(data) if info.size else None)


def main():
    out, entries = sys.argv[1], sys.argv[2:]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            parts = e.split(":", 3)
            kind, path = parts[0], parts[1]
            arg = parts[2] if len(parts) > 2 else ""
            mode = int(parts[3], 8) if len(parts) > 3 else None
            info = tarfile.TarInfo(path)
            info.mtime = 1700000000
            if kind == "f":
                info.mode = mode if mode is not None else 0o644
                add(tf, info, arg.encode())
            elif kind == "d":
                info.type = tarfile.DIRTYPE
                info.mode = int(arg, 8) if arg else 0o755
                add(tf, info)
            elif kind == "l":
                info.type = tarfile.SYMTYPE
                info.linkname = arg
                info.mode = 0o777
                add(tf, info)
            elif kind == "h":
                info.type = tarfile.LNKTYPE
                info.linkname = arg
                add(tf, info)
            elif kind == "c":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = (int(x) for x in arg.split(","))
                add(tf, info)
            elif kind == "p":
                info.type = tarfile.FIFOTYPE
                add(tf, info)
            elif kind == "x":
                info.mode = 0o644
                info.pax_headers = {"SCHILY.xattr." + kv.split("=", 1)[0]: kv.split("=", 1)[1] for kv in arg.split(",")}
                add(tf, info, b"x")
            elif kind == "r":
                for _ in range(int(arg)):
                    i = tarfile.TarInfo(path)
                    i.mode = 0o644
                    add(tf, i)
            else:
                sys.exit("unknown entry type " + kind)


if __name__ == "__main__":
    main()
