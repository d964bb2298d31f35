import pytest

from contacts.importing import decoding
from contacts.importing.decoding import detect_encoding
from contacts.importing.errors import FileRejected
from contacts.models import Company, Contact

from .test_import_helpers import english, run, write_csv  # noqa: F401 (english: autouse fixture)

HEADER = ["email", "last_name", "first_name", "company"]
ROW = ["ＴＡＲＯ．ＹＡＭＡＤＡ@Example.co.jp", "山田", "太郎", "株式会社テスト"]


def test_plain_ascii_file_is_utf8(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["email"], ["a@example.com"]])
    assert detect_encoding(path) == "utf-8"


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")])
def test_japanese_file_imports_in_each_encoding(db, tmp_path, encoding, detected):
    path = write_csv(tmp_path / "contacts.csv", [HEADER, ROW], encoding=encoding)

    assert detect_encoding(path) == detected
    outcome = run("contacts", path)

    assert outcome.encoding == detected
    assert outcome.imported is True
    contact = Contact.objects.get()
    assert contact.email == "taro.yamada@example.co.jp"
    assert (contact.last_name, contact.first_name) == ("山田", "太郎")
    assert contact.company.name == "株式会社テスト"
    assert Company.objects.count() == 1


def test_bom_is_not_part_of_the_first_column_name(db, tmp_path):
    path = write_csv(tmp_path / "bom.csv", [["Email", "Status"], ["a@example.com", "customer"]], encoding="utf-8-sig")

    outcome = run("contacts", path)

    assert outcome.mapping == [("email", "email"), ("status", "status")]
    assert Contact.objects.get().status == "customer"


def test_undecodable_file_names_the_byte_and_imports_nothing(db, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"email\nabc\x80\xff@example.com\n")

    with pytest.raises(FileRejected) as caught:
        run("contacts", path)

    assert caught.value.message == (
        "This file is neither UTF-8 nor Shift_JIS (CP932): the byte 0x80 at position 9 can't be read. "
        "Save it from Excel as 'CSV UTF-8' and upload again."
    )
    assert Contact.objects.count() == 0


def test_failure_position_is_exact_across_read_blocks(tmp_path, monkeypatch):
    # Tiny blocks so multibyte characters straddle block boundaries.
    monkeypatch.setattr(decoding, "BLOCK_SIZE", 5)
    good = "email,company\na@example.com,株式会社テスト\n".encode()
    path = tmp_path / "late.csv"
    path.write_bytes(good + b"x,\xff\n")

    with pytest.raises(FileRejected) as caught:
        detect_encoding(path)

    assert f"the byte 0xFF at position {len(good) + 2} " in caught.value.message


def test_multibyte_characters_split_across_blocks_still_decode(tmp_path, monkeypatch):
    monkeypatch.setattr(decoding, "BLOCK_SIZE", 3)
    path = tmp_path / "ja.csv"
    path.write_bytes("email,company\nb@example.com,株式会社テスト\n".encode("cp932"))

    assert detect_encoding(path) == "cp932"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook, not a CSV file."),
        (b"\xff\xfee\x00m\x00", "This file is saved as UTF-16 ('Unicode Text')."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This looks like a binary file, not CSV text"),
        (b"email\na@example.com\x00\n", "This looks like a binary file, not CSV text (a NUL byte at position 19)."),
    ],
)
def test_files_that_are_not_csv_text_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    with pytest.raises(FileRejected) as caught:
        detect_encoding(path)

    assert caught.value.message.startswith(message)


def test_stray_cp932_byte_is_reported_at_its_position(tmp_path, monkeypatch):
    monkeypatch.setattr(decoding, "BLOCK_SIZE", 4)
    good = "email,company\nc@example.com,株式会社テスト\n".encode("cp932")
    path = tmp_path / "stray.csv"
    path.write_bytes(good + "テスト".encode("cp932") + b"\xa0x\n")

    with pytest.raises(FileRejected) as caught:
        detect_encoding(path)

    assert f"the byte 0xA0 at position {len(good) + 6} " in caught.value.message


def test_broken_cp932_pair_is_reported_at_its_position(tmp_path, monkeypatch):
    monkeypatch.setattr(decoding, "BLOCK_SIZE", 4)
    good = "email,company\nc@example.com,株式会社テスト\n".encode("cp932")
    path = tmp_path / "pair.csv"
    path.write_bytes(good + b"\x81\x20x\n")

    with pytest.raises(FileRejected) as caught:
        detect_encoding(path)

    assert f"the byte 0x81 at position {len(good)} " in caught.value.message
