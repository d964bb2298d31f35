"""Encoding detection for uploaded CSV files, streaming with bounded memory.

Order: a UTF-8 byte-order mark means utf-8-sig; otherwise the whole file is
decoded strictly as UTF-8, then strictly as CP932 (what Japanese Excel saves
as "CSV"). ASCII-only files are valid in both and come out as utf-8. The file
is read in fixed-size blocks through incremental decoders, so a 200 MB file
costs one block of memory, not 200 MB.
"""
import codecs
import re

from django.utils.translation import gettext as _

from .errors import FileRejected

BLOCK_SIZE = 1024 * 1024
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Spreadsheet containers people upload instead of a CSV export.
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

# Python's cp932 codec maps these lone bytes to placeholders instead of
# failing; no Japanese text contains them, so they count as unreadable.
CP932_STRAY_BYTES = {"\x80": 0x80, "\uf8f0": 0xA0, "\uf8f1": 0xFD, "\uf8f2": 0xFE, "\uf8f3": 0xFF}
CP932_STRAY = re.compile("[" + "".join(CP932_STRAY_BYTES) + "]")

ENCODING_LABELS = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "cp932": "Shift_JIS (CP932)"}


def encoding_label(encoding):
    return ENCODING_LABELS.get(encoding, encoding)


def detect_encoding(path):
    """Return "utf-8-sig", "utf-8" or "cp932" for the file at `path`.

    Raises FileRejected with a message a user can act on when the file is
    empty, a workbook or binary, or readable in neither encoding.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileRejected(_("The file is empty."))
    if head.startswith(UTF8_BOM):
        # U+FEFF is valid UTF-8, so decoding as plain utf-8 keeps positions exact.
        failure = _first_failure(path, "utf-8")
        if failure is not None:
            raise _undecodable(*failure)
        return "utf-8-sig"
    if head.startswith(WORKBOOK_MAGIC):
        raise FileRejected(_(
            "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → 'CSV UTF-8' and upload "
            "that file."
        ))
    if head.startswith(UTF16_BOMS):
        raise FileRejected(_(
            "This file is saved as UTF-16 ('Unicode Text'). Save it from Excel as 'CSV UTF-8' and upload again."
        ))
    utf8_failure = _first_failure(path, "utf-8")
    if utf8_failure is None:
        return "utf-8"
    cp932_failure = _first_failure(path, "cp932")
    if cp932_failure is None:
        return "cp932"
    # The decoder that got further is the likelier intended encoding, so its
    # failure points closest to the actually broken byte.
    raise _undecodable(*max(utf8_failure, cp932_failure))


def _undecodable(position, byte):
    return FileRejected(
        _(
            "This file is neither UTF-8 nor Shift_JIS (CP932): the byte 0x%(byte)02X at position %(position)d "
            "can't be read. Save it from Excel as 'CSV UTF-8' and upload again."
        )
        % {"byte": byte, "position": position}
    )


def _first_failure(path, encoding):
    """(position, byte) of the first unreadable byte, or None if the file decodes.

    A NUL byte never occurs in CSV text, so it marks a binary file whatever
    the encoding says.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK_SIZE)
            nul = block.find(b"\x00")
            if nul >= 0:
                raise FileRejected(
                    _("This looks like a binary file, not CSV text (a NUL byte at position %(position)d).")
                    % {"position": offset + nul}
                )
            # Bytes of an incomplete character the decoder kept from the
            # previous block: decoded text starts that far before `offset`.
            text_start = offset - len(decoder.getstate()[0])
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return text_start + exc.start, exc.object[exc.start]
            if encoding == "cp932":
                stray = CP932_STRAY.search(text)
                if stray:
                    prefix = len(text[: stray.start()].encode("cp932"))
                    return text_start + prefix, CP932_STRAY_BYTES[stray.group()]
            if not block:
                return None
            offset += len(block)
