"""Demo data: the Diskominfo of Kabupaten Sleman with three boards and about sixty cards.

Everything is created through the same use cases people use (accounts, boards, cards), so the
history, the WIP counts and the deadline-slip counts are true. Due dates are relative to today
in the office's time zone. Every demo account has the password PASSWORD.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.models import User
from app.services import accounts, boards, cards

PASSWORD = "cergas123"
ADMIN_USERNAME = "admin"
TIMEZONE = "Asia/Jakarta"

# code, name, parent code
UNITS = [
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika Kabupaten Sleman", None),
    ("SEKRETARIAT", "Sekretariat", "DISKOMINFO"),
    ("SUBBAG-UMPEG", "Subbagian Umum dan Kepegawaian", "SEKRETARIAT"),
    ("BID-IKP", "Bidang Informasi dan Komunikasi Publik", "DISKOMINFO"),
    ("SEKSI-PIP", "Seksi Pengelolaan Informasi Publik", "BID-IKP"),
    ("BID-APTIKA", "Bidang Aplikasi Informatika", "DISKOMINFO"),
    ("SEKSI-PA", "Seksi Pengembangan Aplikasi", "BID-APTIKA"),
]


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    login: str  # an 18-digit NIP, or a username for people without one
    unit: str
    role: str
    position: str  # jabatan, shown in the README and the demo summary


def nip(birth: str, appointed: str, sex: int, number: int) -> str:
    """A NIP: birth date YYYYMMDD, appointment YYYYMM, sex (1 male, 2 female), sequence."""
    return f"{birth}{appointed}{sex}{number:03d}"


PEOPLE = [
    Person("kadis", "Drs. Bambang Sutrisno, M.Si.", nip("19680512", "199403", 1, 4),
           "DISKOMINFO", "head", "Kepala Dinas"),
    Person("sekretaris", "Sri Wahyuni, S.Sos., M.M.", nip("19720315", "199803", 2, 6),
           "SEKRETARIAT", "head", "Sekretaris"),
    Person("kasubbag", "Yuli Astuti, S.E.", nip("19800722", "200501", 2, 11),
           "SUBBAG-UMPEG", "head", "Kepala Subbagian Umum dan Kepegawaian"),
    Person("rudi", "Rudi Hartono", nip("19850214", "201001", 1, 15),
           "SUBBAG-UMPEG", "member", "Pengadministrasi Perkantoran"),
    Person("nuraini", "Nur Aini, A.Md.", nip("19930910", "201903", 2, 8),
           "SUBBAG-UMPEG", "member", "Arsiparis Terampil"),
    Person("kabid_ikp", "Hendro Prasetyo, S.IP.", nip("19740630", "199903", 1, 3),
           "BID-IKP", "head", "Kepala Bidang Informasi dan Komunikasi Publik"),
    Person("kasi_pip", "Retno Widyaningsih, S.Kom.", nip("19820418", "200604", 2, 12),
           "SEKSI-PIP", "head", "Kepala Seksi Pengelolaan Informasi Publik"),
    Person("dimas", "Dimas Aditya Nugroho, S.I.Kom.", nip("19910105", "201503", 1, 2),
           "SEKSI-PIP", "member", "Pranata Humas Ahli Pertama"),
    Person("fitri", "Fitri Handayani, S.Sos.", nip("19941127", "202012", 2, 5),
           "SEKSI-PIP", "member", "Pranata Humas Ahli Pertama"),
    Person("ahmad", "Ahmad Fauzi", nip("19880819", "201101", 1, 9),
           "SEKSI-PIP", "member", "Pengelola Layanan Informasi"),
    Person("kabid_aptika", "Agung Setiawan, S.T., M.Eng.", nip("19760903", "200212", 1, 7),
           "BID-APTIKA", "head", "Kepala Bidang Aplikasi Informatika"),
    Person("kasi_pa", "Eko Purnomo, S.Kom.", nip("19830611", "200902", 1, 10),
           "SEKSI-PA", "head", "Kepala Seksi Pengembangan Aplikasi"),
    Person("rizky", "Rizky Ramadhan, S.Kom.", nip("19960124", "202012", 1, 3),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Pertama"),
    Person("annisa", "Annisa Putri Maharani, S.T.", nip("19970502", "202101", 2, 4),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Pertama"),
    Person("yoga", "Yoga Pratama, S.Kom.", nip("19920717", "201903", 1, 12),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Muda"),
    Person("larasati", "Larasati Dewi, A.Md.Kom.", nip("19950308", "202203", 2, 1),
           "SEKSI-PA", "member", "Pranata Komputer Terampil"),
    Person("wulan", "Wulan Sari, S.Kom.", "wulan.sari",
           "SEKSI-PA", "member", "Tenaga Ahli Pengembang Aplikasi (non-ASN)"),
]  # fmt: skip


@dataclass(frozen=True)
class Slip:
    """A deadline change: the new due date (days from today), who moved it and why."""

    due: int
    reason: str
    by: str


@dataclass(frozen=True)
class DemoCard:
    title: str
    type: str
    column: int  # index of the column the card ends in
    assignee: str | None = None
    due: int | None = None  # the first due date, days from today
    estimate: float | None = None
    labels: tuple[str, ...] = ()
    priority: str = "normal"
    description: str = ""
    slips: tuple[Slip, ...] = ()
    comments: tuple[tuple[str, str], ...] = ()  # (person key, text)


@dataclass(frozen=True)
class DemoBoard:
    name: str
    unit: str
    head: str
    personal_wip_limit: int
    columns: list[dict]
    cards: list[DemoCard] = field(default_factory=list)


def _column(name, kind, wip_limit=None, wip_policy="hard") -> dict:
    return {"name": name, "kind": kind, "wip_limit": wip_limit, "wip_policy": wip_policy}


LAYANAN_INFORMASI = DemoBoard(
    name="Layanan Informasi Publik",
    unit="SEKSI-PIP",
    head="kasi_pip",
    personal_wip_limit=5,
    columns=[
        _column("Permohonan Masuk", "backlog"),
        _column("Verifikasi", "active", 5),
        # Exactly at its limit in the demo: the next card is refused with the WIP message.
        _column("Diproses", "active", 4),
        _column("Menunggu Paraf", "active", 3, "soft"),
        _column("Selesai", "done"),
    ],
    cards=[
        DemoCard(
            "Permohonan salinan DPA Dinas Pendidikan 2025",
            "permohonan-informasi",
            0,
            due=9,
            estimate=3,
            labels=("PPID",),
            description=(
                "Pemohon: **LSM Sleman Transparan**, melalui formulir daring PPID.\n\n"
                "Meminta salinan Dokumen Pelaksanaan Anggaran (DPA) Dinas Pendidikan tahun "
                "2025. Koordinasikan dengan PPID pembantu Dinas Pendidikan. Batas jawab 10 hari "
                "kerja sejak permohonan diterima (UU 14/2008 Pasal 22)."
            ),
        ),
        DemoCard(
            "Pengaduan: website Kapanewon Godean tidak bisa diakses",
            "pengaduan",
            0,
            due=3,
            labels=("LAPOR!", "Website"),
            priority="high",
            description=(
                "Masuk lewat SP4N-LAPOR!. Warga melaporkan laman godean.slemankab.go.id "
                "menampilkan galat 502 sejak kemarin sore. Teruskan ke Bidang Aptika bila "
                "masalah di server."
            ),
        ),
        DemoCard(
            "Permohonan data jumlah menara telekomunikasi per kapanewon",
            "permohonan-informasi",
            0,
            due=12,
            labels=("PPID",),
            description="Pemohon mahasiswa S2 Perencanaan Wilayah UGM untuk bahan tesis.",
        ),
        DemoCard(
            "Usulan konten infografis Hari Jadi Kabupaten Sleman",
            "konten",
            0,
            estimate=6,
            labels=("Konten",),
            description="Tema tahun ini: *Sleman Sembada*. Perlu data capaian dari Bappeda.",
        ),
        DemoCard(
            "Pemutakhiran Daftar Informasi Publik (DIP) semester II",
            "tugas",
            0,
            estimate=16,
            labels=("PPID",),
            description=(
                "Minta pemutakhiran DIP dari seluruh PPID pembantu; format mengikuti Perki 1/2021."
            ),
        ),
        DemoCard(
            "Pengaduan warga: hoaks bantuan sosial di grup WhatsApp",
            "pengaduan",
            0,
            due=2,
            labels=("Hoaks",),
            priority="urgent",
            description=(
                "Beredar pesan berantai pendaftaran bansos melalui tautan palsu. Siapkan "
                "klarifikasi bersama Dinas Sosial."
            ),
        ),
        DemoCard(
            "Permohonan data anggaran pemeliharaan jalan 2024",
            "permohonan-informasi",
            1,
            assignee="fitri",
            due=6,
            estimate=4,
            labels=("PPID",),
            description="Cek kelengkapan identitas pemohon (KTP) sebelum diteruskan ke DPUPKP.",
        ),
        DemoCard(
            "Keberatan atas jawaban permohonan informasi No. 045/PPID",
            "keberatan",
            1,
            assignee="kasi_pip",
            due=4,
            estimate=6,
            labels=("PPID", "Keberatan"),
            priority="high",
            description=(
                "Pemohon keberatan karena sebagian dokumen dihitamkan. Atasan PPID wajib "
                "menanggapi paling lambat 30 hari kerja."
            ),
            comments=(("kabid_ikp", "Siapkan kronologi dan dasar pengecualiannya sebelum Kamis."),),
        ),
        DemoCard(
            "Pengaduan LAPOR!: lampu PJU mati di Jalan Magelang km 10",
            "pengaduan",
            1,
            assignee="ahmad",
            due=-2,
            labels=("LAPOR!",),
            description="Bukan kewenangan dinas; disposisikan ke Dinas Perhubungan.",
            comments=(("ahmad", "Sudah saya telepon Dishub, menunggu nomor tiket mereka."),),
        ),
        DemoCard(
            "Monitoring komentar akun media sosial resmi Pemkab",
            "tugas",
            1,
            assignee="fitri",
            due=5,
            estimate=5,
            labels=("Humas",),
            description=(
                "Rekap mingguan keluhan warga di Instagram, X dan Facebook; keluhan layanan "
                "diteruskan ke perangkat daerah terkait lewat SP4N-LAPOR!."
            ),
        ),
        DemoCard(
            "Jawaban permohonan informasi data stunting per kalurahan",
            "permohonan-informasi",
            2,
            assignee="dimas",
            due=-8,
            estimate=6,
            labels=("PPID",),
            description="Data bersumber dari Dinas Kesehatan, format tabel per kalurahan.",
            slips=(
                Slip(
                    2,
                    "Perpanjangan 7 hari kerja sesuai UU 14/2008 Pasal 22 ayat (7); pemohon "
                    "sudah diberi tahu secara tertulis.",
                    "dimas",
                ),
            ),
            comments=(
                ("dimas", "Dinkes baru mengirim data 12 dari 17 kapanewon."),
                ("kasi_pip", "Tolong kirim surat permintaan kedua, tembusan Kabid."),
            ),
        ),
        DemoCard(
            "Rilis berita peluncuran Sleman Smart Regency",
            "konten",
            2,
            assignee="fitri",
            due=0,
            estimate=3,
            labels=("Humas",),
            priority="high",
            description="Tayang di portal berita hari ini; foto dari tim dokumentasi Prokompim.",
        ),
        DemoCard(
            "Klarifikasi hoaks penutupan Jalan Kaliurang",
            "konten",
            2,
            assignee="ahmad",
            due=-1,
            estimate=2,
            labels=("Hoaks", "Humas"),
            priority="urgent",
            description="Koordinasi dengan Satlantas Polresta Sleman untuk pernyataan resmi.",
        ),
        DemoCard(
            "Rekap permohonan informasi triwulan III untuk Komisi Informasi",
            "laporan",
            2,
            assignee="dimas",
            due=-2,
            estimate=8,
            labels=("PPID", "Laporan"),
            slips=(
                Slip(
                    5,
                    "Rekap dari 4 PPID pembantu kapanewon belum masuk; sudah diingatkan lewat "
                    "grup koordinasi.",
                    "dimas",
                ),
            ),
        ),
        DemoCard(
            "Surat jawaban permohonan informasi a.n. Sdr. Wahyu Hidayat",
            "surat-keluar",
            3,
            assignee="dimas",
            due=1,
            estimate=2,
            labels=("PPID",),
            comments=(("dimas", "Konsep sudah di meja Bu Kasi, mohon paraf."),),
        ),
        DemoCard(
            "Siaran pers layanan pengaduan terpadu",
            "konten",
            3,
            assignee="fitri",
            due=3,
            estimate=2,
            labels=("Humas",),
            description="Menunggu paraf Kabid IKP sebelum dikirim ke media mitra.",
        ),
        DemoCard(
            "Jawaban permohonan informasi data PBB-P2 Kalurahan Caturtunggal",
            "permohonan-informasi",
            4,
            assignee="dimas",
            due=-6,
            estimate=3,
            labels=("PPID",),
        ),
        DemoCard(
            "Tanggapan pengaduan sinyal lemah di Kapanewon Cangkringan",
            "pengaduan",
            4,
            assignee="ahmad",
            due=-4,
            labels=("LAPOR!",),
        ),
        DemoCard(
            "Publikasi laporan layanan informasi publik semester I",
            "laporan",
            4,
            assignee="fitri",
            due=-12,
            estimate=8,
            labels=("PPID", "Laporan"),
        ),
        DemoCard(
            "Rapat koordinasi PPID pembantu se-Kabupaten Sleman",
            "rapat",
            4,
            assignee="kasi_pip",
            due=-9,
            estimate=4,
            labels=("Rapat",),
            description="Notulen diunggah ke folder bersama; daftar hadir 23 PPID pembantu.",
        ),
        DemoCard(
            "Uji konsekuensi informasi yang dikecualikan: dokumen pengadaan",
            "tugas",
            4,
            assignee="kasi_pip",
            due=-20,
            estimate=6,
            labels=("PPID",),
            slips=(
                Slip(
                    -15,
                    "Rapat uji konsekuensi diundur karena Sekretaris Daerah dinas luar.",
                    "kasi_pip",
                ),
            ),
        ),
        DemoCard(
            "Jawaban permohonan informasi daftar penerima hibah 2024",
            "permohonan-informasi",
            4,
            assignee="ahmad",
            due=-2,
            labels=("PPID",),
        ),
    ],
)

PENGEMBANGAN_APLIKASI = DemoBoard(
    name="Pengembangan Aplikasi",
    unit="SEKSI-PA",
    head="kasi_pa",
    personal_wip_limit=3,
    columns=[
        _column("Backlog", "backlog"),
        _column("Analisis", "active", 3),
        _column("Dikerjakan", "active", 5),
        _column("Uji", "active", 3, "soft"),
        _column("Selesai", "done"),
    ],
    cards=[
        DemoCard(
            "Integrasi SSO aplikasi perizinan dengan akun ASN",
            "pengembangan",
            0,
            estimate=40,
            labels=("SPBE", "Perizinan"),
            description="Gunakan layanan SSO provinsi (OpenID Connect). Perlu MoU dengan DPMPTSP.",
        ),
        DemoCard(
            "Migrasi server aplikasi kepegawaian ke Pusat Data Nasional",
            "tugas",
            0,
            estimate=24,
            labels=("Infrastruktur", "SPBE"),
            description=(
                "Inventarisasi dulu dependensi SIMPEG dan jadwal henti layanan bersama BKPP."
            ),
        ),
        DemoCard(
            "Formulir permohonan informasi daring: tambah lampiran KTP",
            "pengembangan",
            0,
            estimate=6,
            labels=("PPID",),
            description="Permintaan Seksi PIP; ukuran berkas maksimal 2 MB, format JPG/PDF.",
        ),
        DemoCard(
            "Dasbor pengaduan masyarakat untuk Bupati",
            "pengembangan",
            0,
            estimate=32,
            labels=("Dasbor",),
            description=(
                "Sumber data: SP4N-LAPOR!, kanal WhatsApp dan formulir portal. Harus enak "
                "dibaca di ponsel."
            ),
        ),
        DemoCard(
            "Pembaruan sertifikat TLS subdomain slemankab.go.id",
            "tugas",
            0,
            due=10,
            estimate=2,
            labels=("Keamanan",),
            priority="high",
        ),
        DemoCard(
            "Dokumentasi API Satu Data Sleman",
            "dokumentasi",
            0,
            estimate=12,
            labels=("Satu Data",),
        ),
        DemoCard(
            "Analisis kebutuhan aplikasi e-Surat untuk kapanewon",
            "analisis",
            1,
            assignee="annisa",
            due=14,
            estimate=16,
            labels=("e-Surat",),
            description="Wawancara 3 kapanewon percontohan: Depok, Mlati, Gamping.",
        ),
        DemoCard(
            "Kajian arsitektur SPBE: peta rencana 2026",
            "analisis",
            1,
            assignee="kasi_pa",
            due=7,
            estimate=24,
            labels=("SPBE",),
            slips=(
                Slip(
                    20,
                    "Menyesuaikan Perpres 82/2023 tentang Percepatan Transformasi Digital; "
                    "templat arsitektur dari KemenPAN-RB baru terbit.",
                    "kasi_pa",
                ),
            ),
        ),
        DemoCard(
            "Perbaikan bug unggah berkas di SIMPEG (batas 2 MB)",
            "bug",
            2,
            assignee="rizky",
            due=-5,
            estimate=4,
            labels=("SIMPEG",),
            priority="high",
            slips=(
                Slip(
                    -1,
                    "Butuh akses server produksi dari Bidang Persandian; izinnya baru keluar.",
                    "rizky",
                ),
            ),
            comments=(
                ("rizky", "Penyebabnya batas upload di konfigurasi nginx, bukan di aplikasi."),
                ("kasi_pa", "Sekalian cek aplikasi lain di server yang sama."),
            ),
        ),
        DemoCard(
            "Modul antrean daring Mal Pelayanan Publik",
            "pengembangan",
            2,
            assignee="yoga",
            due=8,
            estimate=40,
            labels=("MPP",),
            description="Nomor antrean lewat portal dan kios; 14 loket instansi di MPP Sleman.",
        ),
        DemoCard(
            "Perizinan: notifikasi WhatsApp status izin",
            "pengembangan",
            2,
            assignee="wulan",
            due=5,
            estimate=12,
            labels=("Perizinan",),
            description="Pakai gateway WhatsApp resmi yang sudah dilanggan DPMPTSP.",
        ),
        DemoCard(
            "Tindak lanjut temuan penetration test BSSN pada aplikasi Sleman Smart",
            "keamanan",
            2,
            assignee="rizky",
            due=-4,
            estimate=16,
            labels=("Keamanan",),
            priority="urgent",
            description="Dua temuan tingkat tinggi: *session fixation* dan XSS tersimpan.",
            comments=(("kabid_aptika", "Laporan tindak lanjut ditunggu BSSN minggu ini."),),
        ),
        DemoCard(
            "UAT aplikasi e-Kinerja versi 2.3",
            "pengujian",
            3,
            assignee="larasati",
            due=2,
            estimate=8,
            labels=("e-Kinerja",),
            description="Uji bersama admin kepegawaian BKPP; berita acara UAT ditandatangani Kasi.",
            comments=(
                ("larasati", "Skenario UAT dengan BKPP dijadwalkan Rabu pukul 09.00."),
                ("annisa", "Catatan: ekspor PDF masih terpotong di kolom terakhir."),
            ),
        ),
        DemoCard(
            "Uji beban portal PPID menjelang pelaporan Komisi Informasi",
            "pengujian",
            3,
            assignee="yoga",
            due=3,
            estimate=6,
            labels=("PPID",),
        ),
        DemoCard(
            "Backup harian basis data SIMPEG ke NAS",
            "tugas",
            4,
            assignee="rizky",
            due=-10,
            estimate=4,
            labels=("SIMPEG", "Infrastruktur"),
        ),
        DemoCard(
            "Perbaikan tampilan ponsel portal berita",
            "bug",
            4,
            assignee="annisa",
            due=-7,
            estimate=6,
            labels=("Website",),
        ),
        DemoCard(
            "Rapat koordinasi Satu Data dengan Bappeda",
            "rapat",
            4,
            assignee="kasi_pa",
            due=-14,
            estimate=3,
            labels=("Satu Data", "Rapat"),
        ),
        DemoCard(
            "Pembuatan akun email dinas untuk pegawai baru",
            "tugas",
            4,
            assignee="larasati",
            due=-3,
            estimate=2,
        ),
        DemoCard(
            "Integrasi peta GIS menara telekomunikasi",
            "pengembangan",
            4,
            assignee="wulan",
            due=-12,
            estimate=20,
            labels=("GIS",),
            slips=(Slip(-5, "Data koordinat dari pemilik menara terlambat dikirim.", "wulan"),),
        ),
        DemoCard(
            "Indeks SPBE: pengisian kuesioner domain layanan",
            "laporan",
            4,
            assignee="kasi_pa",
            due=-20,
            estimate=10,
            labels=("SPBE",),
        ),
    ],
)

PERSURATAN = DemoBoard(
    name="Persuratan",
    unit="SUBBAG-UMPEG",
    head="kasubbag",
    personal_wip_limit=4,
    columns=[
        _column("Surat Masuk", "backlog"),
        _column("Dikonsep", "active", 6),
        _column("Paraf Pimpinan", "active", 4, "soft"),
        _column("Terkirim", "done"),
    ],
    cards=[
        DemoCard(
            "Undangan Rakor Kominfo se-DIY dari Diskominfo DIY",
            "surat-masuk",
            0,
            due=2,
            labels=("Undangan",),
            description="Disposisi Kepala Dinas: hadir Kabid IKP dan Kabid Aptika.",
        ),
        DemoCard(
            "Surat Kementerian Komdigi: permintaan data BTS 4G di wilayah blank spot",
            "surat-masuk",
            0,
            due=7,
            labels=("Data",),
            description="Disposisi ke Bidang Aptika; data dari hasil uji sinyal tahun lalu.",
        ),
        DemoCard(
            "Permohonan narasumber literasi digital dari SMA N 1 Depok",
            "surat-masuk",
            0,
            due=5,
            labels=("Undangan",),
        ),
        DemoCard(
            "Nota dinas Sekretaris: usulan diklat teknis pranata komputer",
            "nota-dinas",
            0,
            labels=("Kepegawaian",),
        ),
        DemoCard(
            "SPPD rapat koordinasi ke Jakarta (2 orang)",
            "perjalanan-dinas",
            0,
            labels=("Keuangan",),
            description="Cek sisa pagu perjalanan dinas di DPA sebelum nota dinas dibuat.",
        ),
        DemoCard(
            "Balasan permohonan magang mahasiswa UGM",
            "surat-keluar",
            1,
            assignee="nuraini",
            due=1,
            estimate=1,
            description="Empat mahasiswa Teknik Informatika, penempatan di Bidang Aptika.",
        ),
        DemoCard(
            "Konsep SK Tim Pengelola SPBE Kabupaten Sleman",
            "surat-keluar",
            1,
            assignee="rudi",
            due=-10,
            estimate=4,
            labels=("SPBE",),
            priority="high",
            slips=(
                Slip(
                    -3,
                    "Menunggu nama anggota tim dari Bagian Organisasi Setda; surat permintaan "
                    "sudah dua kali dikirim.",
                    "rudi",
                ),
            ),
            comments=(("kasubbag", "Telepon langsung Bagian Organisasi, jangan tunggu surat."),),
        ),
        DemoCard(
            "Surat edaran penggunaan email dinas slemankab.go.id",
            "surat-keluar",
            1,
            assignee="nuraini",
            due=4,
            estimate=2,
        ),
        DemoCard(
            "LKjIP bab III: capaian sasaran strategis",
            "laporan",
            1,
            assignee="kasubbag",
            due=10,
            estimate=16,
            labels=("Laporan",),
            description=(
                "Bahan dari tiap bidang masuk paling lambat Senin; format dari Bagian Organisasi."
            ),
        ),
        DemoCard(
            "Surat permohonan perpanjangan sewa bandwidth ke penyedia",
            "surat-keluar",
            1,
            assignee="rudi",
            due=-1,
            estimate=1,
            labels=("Keuangan",),
            priority="high",
            description="Kontrak berakhir akhir bulan; lampirkan BA pemeriksaan layanan.",
        ),
        DemoCard(
            "Nota dinas pengajuan belanja modal APBD Perubahan",
            "nota-dinas",
            2,
            assignee="kasubbag",
            due=-3,
            estimate=3,
            labels=("Keuangan",),
            slips=(
                Slip(
                    0,
                    "Kabid Aptika meminta rincian spesifikasi server ditambahkan sebelum paraf.",
                    "kasubbag",
                ),
            ),
            comments=(("sekretaris", "Sudah saya baca, tinggal lampiran RAB."),),
        ),
        DemoCard(
            "Undangan rapat evaluasi website perangkat daerah",
            "surat-keluar",
            2,
            assignee="nuraini",
            due=2,
            estimate=1,
            labels=("Undangan",),
            comments=(("nuraini", "Mohon paraf Ibu Sekretaris sebelum dikirim lewat SRIKANDI."),),
        ),
        DemoCard(
            "Surat tugas narasumber literasi digital Kapanewon Seyegan",
            "surat-tugas",
            2,
            assignee="rudi",
            due=1,
            estimate=1,
        ),
        DemoCard(
            "Balasan undangan bimtek keamanan informasi BSSN",
            "surat-keluar",
            3,
            assignee="nuraini",
            due=-5,
            estimate=1,
        ),
        DemoCard(
            "Surat keterangan aktif bekerja a.n. Yoga Pratama",
            "surat-keluar",
            3,
            assignee="rudi",
            due=-8,
            estimate=1,
            labels=("Kepegawaian",),
        ),
        DemoCard(
            "Rekap presensi apel pagi bulan lalu ke BKPP",
            "laporan",
            3,
            assignee="nuraini",
            due=-12,
            estimate=2,
            labels=("Kepegawaian",),
        ),
        DemoCard(
            "SK penunjukan PPID pembantu kapanewon",
            "surat-keluar",
            3,
            assignee="kasubbag",
            due=-25,
            estimate=3,
            labels=("PPID",),
            slips=(
                Slip(
                    -18,
                    "Nomenklatur kapanewon berubah setelah Perbup baru; lampiran SK diulang.",
                    "kasubbag",
                ),
            ),
        ),
        DemoCard(
            "Pengantar laporan pengaduan LAPOR! triwulan II ke Inspektorat",
            "surat-keluar",
            3,
            assignee="rudi",
            due=-6,
            estimate=1,
            labels=("LAPOR!",),
        ),
    ],
)

BOARDS = [LAYANAN_INFORMASI, PENGEMBANGAN_APLIKASI, PERSURATAN]


@dataclass
class DemoSummary:
    units: int
    people: int
    boards: int
    cards: int
    logins: list[tuple[str, str, str]]  # (login, name, "position, unit, role")


def local_today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def working_day(today: date, offset: int) -> date:
    """today + offset days, moved off the weekend (earlier for past dates, later for future)."""
    day = today + timedelta(days=offset)
    if offset == 0:
        return day
    step = 1 if offset > 0 else -1
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def _build_board(spec: DemoBoard, admin: User, people: dict[str, User], today: date) -> int:
    board = boards.create_board(
        admin,
        spec.name,
        spec.unit,
        columns=spec.columns,
        personal_wip_limit=spec.personal_wip_limit,
    )
    column_ids = [column.id for column in board.columns]
    # Cards that travel furthest go first, so a card passing through a column never meets a
    # column its own neighbours have already filled; each column ends with exactly its cards.
    ordered = sorted(spec.cards, key=lambda card: -card.column)
    for item in ordered:
        owner = people[item.assignee] if item.assignee else people[spec.head]
        data = {
            "title": item.title,
            "type": item.type,
            "description": item.description,
            "assignee": people[item.assignee] if item.assignee else None,
            "due_date": working_day(today, item.due) if item.due is not None else None,
            "priority": item.priority,
            "estimate": item.estimate,
            "labels": list(item.labels),
        }
        card = cards.create_card(people[spec.head], board.id, data).card
        for column_id in column_ids[1 : item.column + 1]:
            cards.move_card(owner, card.id, column_id)
        for slip in item.slips:
            cards.update_card(
                people[slip.by],
                card.id,
                {"due_date": working_day(today, slip.due)},
                version=card.version,
                deadline_reason=slip.reason,
            )
        for author, body in item.comments:
            cards.add_comment(people[author], card.id, body)
    return len(ordered)


def create_demo(password: str = PASSWORD) -> DemoSummary:
    """Create the demo office. The caller checks that the database is empty."""
    for code, name, parent in UNITS:
        accounts.create_unit(code, name, parent_code=parent, timezone=TIMEZONE)
    admin = accounts.create_user(
        "Admin Cergas", password, username=ADMIN_USERNAME, admin=True, email="admin@example.org"
    )
    people: dict[str, User] = {}
    for person in PEOPLE:
        login = {"nip": person.login} if person.login.isdigit() else {"username": person.login}
        people[person.key] = accounts.create_user(
            person.name, password, unit_code=person.unit, role=person.role, **login
        )
    today = local_today()
    card_count = sum(_build_board(spec, admin, people, today) for spec in BOARDS)
    card_count += create_competency_history(admin, people, today)
    create_workload_demo(people)
    create_sprint_demo(people, today)
    create_approvals_demo(admin, people)
    create_sla_demo(people)
    logins = [(ADMIN_USERNAME, "Admin Cergas", "site admin")]
    logins += [(p.login, p.name, f"{p.position}, {p.unit}, {p.role}") for p in PEOPLE]
    return DemoSummary(
        units=len(UNITS),
        people=len(PEOPLE) + 1,
        boards=len(BOARDS) + 1,  # + the publication board of create_competency_history
        cards=card_count,
        logins=logins,
    )


# --- competency: skills, certificates, learning and a history of work that waited -------------
# Seksi PIP's publication board: for ten weeks every poster, infographic and banner waited for
# Fitri, the only one in Bidang IKP who does graphic design (Canva); press releases, which three
# people can write, hardly waited. The gap analysis of SEKSI-PIP (or BID-IKP) names both.

COMPETENCY_SKILLS = {
    # person: {skill: level}, recorded and verified by their head
    "fitri": {"graphic-design": 3, "digital-promotion": 3, "public-communication-writing": 2},
    "dimas": {
        "public-communication-writing": 3,
        "public-presentation": 3,
        "digital-promotion": 2,
        "foreign-language": 2,
    },
    "ahmad": {"service-excellence": 3, "office-software": 2, "spreadsheet-data-analysis": 2},
    "kasi_pip": {
        "public-communication-writing": 3,
        "public-presentation": 3,
        "critical-thinking": 3,
        "spreadsheet-data-analysis": 3,
    },
    "kabid_ikp": {"public-presentation": 4, "critical-thinking": 3},
    "rizky": {"spreadsheet-data-analysis": 3, "office-software": 3},
    "annisa": {"graphic-design": 2, "office-software": 3},
    "yoga": {"critical-thinking": 2, "spreadsheet-data-analysis": 3},
    "rudi": {"office-software": 3, "service-excellence": 2},
    "nuraini": {"office-software": 2},
}
HEAD_OF = {"SEKSI-PIP": "kasi_pip", "BID-IKP": "kabid_ikp", "SEKSI-PA": "kasi_pa",
           "SUBBAG-UMPEG": "kasubbag", "BID-APTIKA": "kabid_aptika"}  # fmt: skip

DESIGN = "graphic-design"
WRITING = "public-communication-writing"
DATA = "spreadsheet-data-analysis"

# (person, activity, title, days ago, hours, skills)
COMPETENCY_LEARNING = [
    ("dimas", "training", "Pelatihan Kehumasan Pemerintah", 200, 24, [WRITING]),
    ("dimas", "e_learning", "Literasi Digital ASN", 120, 6, ["digital-promotion"]),
    ("fitri", "e_learning", "Desain Konten Media Sosial dengan Canva", 150, 3.5, [DESIGN]),
    ("fitri", "seminar", "Seminar Keterbukaan Informasi Publik", 60, 1.25, []),
    ("ahmad", "bimtek", "Bimtek Standar Pelayanan Informasi", 90, 4, ["service-excellence"]),
    ("kasi_pip", "coaching", "Coaching Kepemimpinan Pengawas", 180, 9, ["critical-thinking"]),
    ("kasi_pip", "training", "Analisis Data dengan Spreadsheet", 45, 6.75, [DATA]),
    ("rizky", "e_learning", "Dasar Keamanan Aplikasi Web", 30, 8, []),
    ("annisa", "mentoring", "Mentoring UI/UX bersama Diskominfo Provinsi", 75, 2, [DESIGN]),
]  # fmt: skip

# (title, skill, waited working days, worked working days or None (still open), column index,
#  assignee, estimate, created working days ago)
PUBLICATION_HISTORY = [
    ("Infografis layanan PPID Triwulan III", DESIGN, 5, 2, 3, "fitri", 3, 48),
    ("Poster Hari Hak untuk Tahu", DESIGN, 4, 1, 3, "fitri", 2, 45),
    ("Banner Instagram jadwal layanan informasi", DESIGN, 6, 1, 3, "fitri", 1.5, 42),
    ("Infografis standar layanan PPID", DESIGN, 4, 2, 3, "fitri", 3, 38),
    ("Desain sertifikat lomba video ASN", DESIGN, 5, 1, 3, "fitri", 2, 35),
    ("Poster survei kepuasan layanan", DESIGN, 3, 1, 3, "fitri", 1.5, 31),
    ("Template presentasi Kepala Dinas", DESIGN, 5, 2, 3, "fitri", 4, 28),
    ("Infografis rekap permohonan informasi", DESIGN, 4, 1, 3, "fitri", 2.5, 24),
    ("Banner website Sleman Smart City", DESIGN, 6, 2, 3, "fitri", 3, 20),
    ("Feed Instagram Hari Pahlawan", DESIGN, 4, 1, 3, "fitri", 1.5, 16),
    ("Poster maklumat pelayanan", DESIGN, 5, 1, 3, "fitri", 2, 12),
    ("Infografis capaian Bidang IKP", DESIGN, 4, None, 1, "fitri", 3, 8),
    ("Desain kop dan sampul laporan tahunan", DESIGN, 5, None, 1, "fitri", 4, 7),
    ("Poster sosialisasi aplikasi Lapor Sleman", DESIGN, 3, None, 2, "fitri", 2, 5),
    ("Banner Instagram libur akhir tahun", DESIGN, None, None, 0, None, 1.5, 4),
    ("Infografis tata cara keberatan informasi", DESIGN, None, None, 0, None, 2, 3),
    ("Poster layanan informasi via WhatsApp", DESIGN, None, None, 0, None, 1.5, 2),
    ("Feed Instagram rekap kegiatan minggu ini", DESIGN, None, None, 0, None, 1, 1),
    ("Siaran pers peluncuran PPID Desa", WRITING, 0, 1, 3, "dimas", 2, 40),
    ("Siaran pers Festival Literasi Digital", WRITING, 1, 1, 3, "dimas", 2, 33),
    ("Naskah sambutan Kepala Dinas", WRITING, 0, 2, 3, "kasi_pip", 3, 27),
    ("Siaran pers capaian keterbukaan informasi", WRITING, 1, 1, 3, "dimas", 2, 19),
    ("Rilis berita rapat koordinasi PPID", WRITING, 0, 1, 3, "fitri", 1.5, 11),
    ("Rekap statistik permohonan informasi", DATA, 1, 2, 3, "ahmad", 3, 30),
    ("Analisis survei kepuasan layanan", DATA, 1, 3, 3, "kasi_pip", 5, 14),
]  # fmt: skip


def _working_days_back(today: date, count: int) -> date:
    """The working day (Monday-Friday) `count` working days before today."""
    day = today
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _working_days_on(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TIMEZONE))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def create_competency_history(admin: User, people: dict[str, User], today: date) -> int:
    """Skills (verified by each person's head), certificates, this year's learning log, and the
    publication board with ten weeks of history. Returns the number of cards created."""
    from app.extensions import db
    from app.models import Card
    from app.services import skills
    from app.services.tx import write_transaction

    skills.seed_catalog()
    unit_of = {person.key: person.unit for person in PEOPLE}
    for key, levels in COMPETENCY_SKILLS.items():
        head = people[HEAD_OF.get(unit_of[key], "kadis")] if key in people else admin
        verifier = head if head.id != people[key].id else people["kadis"]
        skills.set_user_skills(verifier, people[key], levels, replace=False)
    # A TOEFL that lapses in six weeks (warns now) and an IELTS that has lapsed.
    skills.add_certificate(
        people["dimas"],
        people["dimas"],
        {
            "test": "TOEFL",
            "score": 523,
            "taken_on": today - timedelta(days=730 - 42),
            "expires_on": today + timedelta(days=42),
        },
    )
    skills.add_certificate(
        people["kasi_pip"],
        people["kasi_pip"],
        {
            "test": "IELTS",
            "score": 6.5,
            "taken_on": today - timedelta(days=760),
            "expires_on": today - timedelta(days=30),
        },
    )
    first_of_year = date(today.year, 1, 1)
    for key, activity, title, days_ago, hours, slugs in COMPETENCY_LEARNING:
        skills.record_learning(
            people[key],
            people[key],
            {
                "activity": activity,
                "title": title,
                "date": max(today - timedelta(days=days_ago), first_of_year),
                "hours": hours,
                "skills": slugs,
            },
        )

    board = boards.create_board(
        admin,
        "Publikasi dan Media Sosial",
        "SEKSI-PIP",
        columns=[
            _column("Antrean Desain dan Naskah", "backlog"),
            _column("Produksi", "active", 6),
            _column("Tinjau Kasi", "active", 4, "soft"),
            _column("Terbit", "done"),
        ],
        personal_wip_limit=3,
    )
    column_ids = [column.id for column in board.columns]
    history = []
    # Cards that end in Terbit go first, so nobody meets their personal WIP limit on the way.
    ordered = sorted(PUBLICATION_HISTORY, key=lambda item: -item[4])
    for title, slug, waited, worked, column, assignee, estimate, age in ordered:
        created_day = _working_days_back(today, age)
        data = {
            "title": title,
            "type": "publikasi",
            "assignee": people[assignee] if assignee else None,
            "due_date": working_day(today, 5) if column == 0 else _working_days_on(created_day, 8),
            "estimate": float(estimate),
            "labels": [f"skill:{slug}"],
        }
        card = cards.create_card(people["kasi_pip"], board.id, data).card
        owner = people[assignee] if assignee else people["kasi_pip"]
        for column_id in column_ids[1 : column + 1]:
            cards.move_card(owner, card.id, column_id)
        started = _working_days_on(created_day, waited) if waited is not None else None
        finished = _working_days_on(started, worked) if worked is not None else None
        history.append((card.id, created_day, started, finished))
    # The services stamp "now"; this board's story happened over the last weeks.
    with write_transaction():
        for card_id, created_day, started, finished in history:
            card = db.session.get(Card, card_id)
            card.created_at = _utc(created_day, 8, 30)
            card.first_active_at = _utc(started, 10) if started else None
            card.done_at = _utc(finished, 15) if finished else None
    return len(history)


# --- workload: skills on the cards that pile up on Fitri ------------------------------------------
# On Layanan Informasi Publik, Fitri holds 4 active cards against a team median of 2.5, so the
# workload plugin flags her (1.5 x the median). Three of her cards ask for a skill; the plugin
# suggests the least-loaded member who holds it, e.g. Ahmad Fauzi for the data request that needs
# service excellence, and a head reassigns it with one click.

WORKLOAD_CARD_SKILLS = {
    # card title on Layanan Informasi Publik -> the skill it asks for
    "Permohonan data anggaran pemeliharaan jalan 2024": "service-excellence",
    "Rilis berita peluncuran Sleman Smart Regency": "public-communication-writing",
    "Monitoring komentar akun media sosial resmi Pemkab": "digital-promotion",
}
WORKLOAD_SKILLS = {
    # person -> skills they need to hold for the suggestions above (added when missing)
    "ahmad": {"service-excellence": 3},
    "dimas": {"public-communication-writing": 3, "digital-promotion": 2},
    "kasi_pip": {"public-communication-writing": 3},
    "fitri": {"digital-promotion": 3, "public-communication-writing": 2},
}


def create_workload_demo(people: dict[str, User]) -> None:
    """Skill labels on Fitri's cards and the skills that let the workload plugin suggest who
    could take them; everything through the skills and card services."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Board, Card
    from app.services import skills

    skills.seed_catalog()
    held = skills.skills_of_users([people[key].id for key in WORKLOAD_SKILLS])
    for key, levels in WORKLOAD_SKILLS.items():
        have = held[people[key].id]
        missing = {slug: level for slug, level in levels.items() if slug not in have}
        if missing:
            skills.set_user_skills(people["kasi_pip"], people[key], missing, replace=False)
    board_id = db.session.scalar(
        select(Board.id).where(Board.name == LAYANAN_INFORMASI.name).order_by(Board.id)
    )
    for title, slug in WORKLOAD_CARD_SKILLS.items():
        card = db.session.scalar(select(Card).where(Card.board_id == board_id, Card.title == title))
        labels = list(card.labels or []) + [f"skill:{slug}"]
        cards.update_card(people["kasi_pip"], card.id, {"labels": labels}, version=card.version)


# --- approvals: the paraf chain of the Persuratan board ---------------------------------------

PARAF_CHAIN = {
    "type": "surat-keluar",
    "review_column": "Paraf Pimpinan",
    "return_column": "Dikonsep",
    "steps": [
        {"head_of": "SEKRETARIAT", "label": "Sekretaris"},
        {"head_of": "DISKOMINFO", "label": "Kepala Dinas"},
    ],
}


def create_approvals_demo(admin: User, people: dict[str, User]) -> None:
    """Give the Persuratan board its paraf chain (Sekretaris, then Kepala Dinas) when the
    approvals plugin is loaded, and send the letters waiting for paraf through it: each goes
    back to Dikonsep and is resubmitted, so its chain starts and it waits in the Sekretaris'
    inbox. The letters already sent stay as they were."""
    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Board, Card
    from app.services import plugins as board_plugins

    if "approvals" not in current_app.extensions["cergas_plugins"].loaded():
        return
    board = db.session.scalar(select(Board).where(Board.name == PERSURATAN.name))
    board_plugins.set_board_plugin(
        people[PERSURATAN.head], board.id, "approvals", settings={"chains": [PARAF_CHAIN]}
    )
    columns = {column.name: column.id for column in board.columns}
    waiting = db.session.scalars(
        select(Card)
        .where(
            Card.column_id == columns[PARAF_CHAIN["review_column"]],
            Card.type == PARAF_CHAIN["type"],
        )
        .order_by(Card.position)
    ).all()
    for card in waiting:
        drafter = card.assignee or people[PERSURATAN.head]
        cards.move_card(drafter, card.id, columns[PARAF_CHAIN["return_column"]])
        cards.move_card(drafter, card.id, columns[PARAF_CHAIN["review_column"]])


# --- SLA: the information desk's service standards (UU 14/2008 KIP, Perki 1/2021) ---------------

SLA_POLICIES = [
    {"type": "permohonan-informasi", "duration": 10, "unit": "working_days", "at_risk": 0.7},
    {"type": "keberatan", "duration": 30, "unit": "working_days"},
    {"type": "pengaduan", "duration": 3, "unit": "working_days", "at_risk": 0.6},
]


def create_sla_demo(people: dict[str, User]) -> None:
    """Give the Layanan Informasi Publik board its service standards when the SLA plugin is
    loaded, so its requests, objections and complaints carry an SLA badge."""
    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Board
    from app.services import plugins as board_plugins

    if "sla" not in current_app.extensions["cergas_plugins"].loaded():
        return
    board = db.session.scalar(select(Board).where(Board.name == LAYANAN_INFORMASI.name))
    board_plugins.set_board_plugin(
        people[LAYANAN_INFORMASI.head], board.id, "sla", settings={"policies": SLA_POLICIES}
    )


# --- sprints: the information desk works in two-week sprints with a written goal ---------------


def create_sprint_demo(people: dict[str, User], today: date) -> None:
    """Seksi PIP's board runs a sprint that started this week (the board shows its goal, working
    days left and progress) and has the next one planned, ready to take carried-over cards."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Board
    from app.services import sprints

    board = db.session.scalar(select(Board).where(Board.name == LAYANAN_INFORMASI.name))
    head = people[LAYANAN_INFORMASI.head]
    monday = today - timedelta(days=today.weekday())
    current = sprints.create_sprint(
        head,
        board.id,
        {
            "name": f"Sprint {monday.isocalendar().week}",
            "goal": "Semua permohonan informasi yang masuk bulan ini dijawab tepat waktu",
            "start": monday.isoformat(),
            "end": (monday + timedelta(days=11)).isoformat(),
        },
    )
    sprints.create_sprint(
        head,
        board.id,
        {
            "name": f"Sprint {(monday + timedelta(days=14)).isocalendar().week}",
            "goal": "Daftar Informasi Publik diperbarui dan diumumkan di portal",
            "start": (monday + timedelta(days=14)).isoformat(),
            "end": (monday + timedelta(days=25)).isoformat(),
        },
    )
    candidates = sprints.backlog_cards(current)
    chosen = [c for c in candidates if c.column.kind == "active"]
    waiting = [c for c in candidates if c.column.kind == "backlog" and c.due_date]
    chosen += waiting[: 8 - len(chosen)]
    sprints.add_cards(head, current.id, [card.id for card in chosen[:8]])
    sprints.start_sprint(head, current.id)
