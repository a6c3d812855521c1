"""The demo office as data: the Diskominfo of Kabupaten Sleman, its units, its people (with the
NIPs and positions the README lists) and its three work boards with about sixty cards.

Due dates and deadline slips are days from today; `app.demo` turns them into dates and creates
everything through the services.
"""

from dataclasses import dataclass, field

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
    email: str | None = None  # example.org: the demo never mails a real address
    phone: str | None = None  # mobile / WhatsApp, as people type it


def nip(birth: str, appointed: str, sex: int, number: int) -> str:
    """A NIP: birth date YYYYMMDD, appointment YYYYMM, sex (1 male, 2 female), sequence."""
    return f"{birth}{appointed}{sex}{number:03d}"


PEOPLE = [
    Person("kadis", "Drs. Bambang Sutrisno, M.Si.", nip("19680512", "199403", 1, 4),
           "DISKOMINFO", "head", "Kepala Dinas"),
    Person("sekretaris", "Sri Wahyuni, S.Sos., M.M.", nip("19720315", "199803", 2, 6),
           "SEKRETARIAT", "head", "Sekretaris"),
    Person("kasubbag", "Yuli Astuti, S.E.", nip("19800722", "200501", 2, 11),
           "SUBBAG-UMPEG", "head", "Kepala Subbagian Umum dan Kepegawaian",
           email="yuli.astuti@example.org", phone="0812-2745-1180"),
    Person("rudi", "Rudi Hartono", nip("19850214", "201001", 1, 15),
           "SUBBAG-UMPEG", "member", "Pengadministrasi Perkantoran"),
    Person("nuraini", "Nur Aini, A.Md.", nip("19930910", "201903", 2, 8),
           "SUBBAG-UMPEG", "member", "Arsiparis Terampil"),
    Person("kabid_ikp", "Hendro Prasetyo, S.IP.", nip("19740630", "199903", 1, 3),
           "BID-IKP", "head", "Kepala Bidang Informasi dan Komunikasi Publik"),
    Person("kasi_pip", "Retno Widyaningsih, S.Kom.", nip("19820418", "200604", 2, 12),
           "SEKSI-PIP", "head", "Kepala Seksi Pengelolaan Informasi Publik",
           email="retno.widyaningsih@example.org", phone="0813-2870-4412"),
    Person("dimas", "Dimas Aditya Nugroho, S.I.Kom.", nip("19910105", "201503", 1, 2),
           "SEKSI-PIP", "member", "Pranata Humas Ahli Pertama",
           email="dimas.nugroho@example.org", phone="0857-4321-0962"),
    Person("fitri", "Fitri Handayani, S.Sos.", nip("19941127", "202012", 2, 5),
           "SEKSI-PIP", "member", "Pranata Humas Ahli Pertama"),
    Person("ahmad", "Ahmad Fauzi", nip("19880819", "201101", 1, 9),
           "SEKSI-PIP", "member", "Pengelola Layanan Informasi"),
    Person("kabid_aptika", "Agung Setiawan, S.T., M.Eng.", nip("19760903", "200212", 1, 7),
           "BID-APTIKA", "head", "Kepala Bidang Aplikasi Informatika"),
    Person("kasi_pa", "Eko Purnomo, S.Kom.", nip("19830611", "200902", 1, 10),
           "SEKSI-PA", "head", "Kepala Seksi Pengembangan Aplikasi",
           email="eko.purnomo@example.org", phone="0811-2953-6607"),
    Person("rizky", "Rizky Ramadhan, S.Kom.", nip("19960124", "202012", 1, 3),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Pertama"),
    Person("annisa", "Annisa Putri Maharani, S.T.", nip("19970502", "202101", 2, 4),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Pertama"),
    Person("yoga", "Yoga Pratama, S.Kom.", nip("19920717", "201903", 1, 12),
           "SEKSI-PA", "member", "Pranata Komputer Ahli Muda",
           email="yoga.pratama@example.org"),
    Person("larasati", "Larasati Dewi, A.Md.Kom.", nip("19950308", "202203", 2, 1),
           "SEKSI-PA", "member", "Pranata Komputer Terampil"),
    Person("wulan", "Wulan Sari, S.Kom.", "wulan.sari",
           "SEKSI-PA", "member", "Tenaga Ahli Pengembang Aplikasi (non-ASN)",
           phone="0878-3912-5540"),
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


def column_spec(name, kind, wip_limit=None, wip_policy="hard") -> dict:
    return {"name": name, "kind": kind, "wip_limit": wip_limit, "wip_policy": wip_policy}


LAYANAN_INFORMASI = DemoBoard(
    name="Layanan Informasi Publik",
    unit="SEKSI-PIP",
    head="kasi_pip",
    personal_wip_limit=5,
    columns=[
        column_spec("Permohonan Masuk", "backlog"),
        column_spec("Verifikasi", "active", 5),
        # Exactly at its limit in the demo: the next card is refused with the WIP message.
        column_spec("Diproses", "active", 4),
        column_spec("Menunggu Paraf", "active", 3, "soft"),
        column_spec("Selesai", "done"),
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
        column_spec("Backlog", "backlog"),
        column_spec("Analisis", "active", 3),
        column_spec("Dikerjakan", "active", 5),
        column_spec("Uji", "active", 3, "soft"),
        column_spec("Selesai", "done"),
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
        column_spec("Surat Masuk", "backlog"),
        column_spec("Dikonsep", "active", 6),
        column_spec("Paraf Pimpinan", "active", 4, "soft"),
        column_spec("Terkirim", "done"),
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
