#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the kernel BTF (.BTF) held in a kernel image as a raw BTF file.

    scripts/extract-btf.py IMAGE OUT

For images that are no ELF file, where the .BTF section has no name: an
arm64 Image (raw, or compressed with gzip) or an s390 image (a
decompressor and the kernel compressed with gzip, xz or zstd). The image
itself and every compressed stream found in it (by magic, as the kernel's
scripts/extract-vmlinux searches) are scanned for a BTF header of either
byte order; the largest consistent one is the kernel's. bpftool reads the
result ("bpftool btf dump file OUT format c"), whatever its byte order.
"""
import lzma
import shutil
import struct
import subprocess
import sys
import zlib

MAGICS = {b"\x1f\x8b\x08": "gzip", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
MIN_TYPES = 1 << 20	# a vmlinux BTF has megabytes of types; a module's would not


def decompress(data, off, kind):
	try:
		if kind == "gzip":
			return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[off:])
		if kind == "xz":
			return lzma.LZMADecompressor().decompress(data[off:])
		if kind == "zstd" and shutil.which("zstd"):
			# trailing data after the frame is an error zstd reports
			# after writing what it decompressed
			return subprocess.run(["zstd", "-dcq"], input=data[off:],
					      stdout=subprocess.PIPE,
					      stderr=subprocess.DEVNULL).stdout
	except (zlib.error, lzma.LZMAError, EOFError):
		pass
	return b""


def find_btf(data):
	"""(offset, length, byte order) of the largest consistent BTF."""
	best = None
	for magic, order in ((b"\x9f\xeb", "<"), (b"\xeb\x9f", ">")):
		pos = data.find(magic)
		while pos >= 0:
			hdr = data[pos:pos + 24]
			if len(hdr) == 24 and hdr[2] == 1 and hdr[3] == 0:
				hdr_len, type_off, type_len, str_off, str_len = \
					struct.unpack(order + "5I", hdr[4:24])
				end = hdr_len + max(type_off + type_len, str_off + str_len)
				start = pos + hdr_len + str_off
				if (24 <= hdr_len <= 256 and hdr_len % 4 == 0 and type_off == 0 and
				    type_len >= MIN_TYPES and str_off >= type_len and str_len > 0 and
				    pos + end <= len(data) and data[start] == 0 and
				    (best is None or end > best[1])):
					best = (pos, end, "little" if order == "<" else "big")
			pos = data.find(magic, pos + 1)
	return best


def main():
	if len(sys.argv) != 3:
		sys.exit("usage: extract-btf.py IMAGE OUT")
	with open(sys.argv[1], "rb") as f:
		image = f.read()
	candidates = [image]
	for magic, kind in MAGICS.items():
		off = image.find(magic)
		while off >= 0:
			out = decompress(image, off, kind)
			if len(out) > MIN_TYPES:
				candidates.append(out)
			off = image.find(magic, off + 1)
	for data in candidates:
		found = find_btf(data)
		if found:
			pos, length, order = found
			with open(sys.argv[2], "wb") as f:
				f.write(data[pos:pos + length])
			print(f"{length} bytes of {order}-endian BTF")
			return
	sys.exit(f"{sys.argv[1]}: no kernel BTF found (CONFIG_DEBUG_INFO_BTF=y?)")


main()
