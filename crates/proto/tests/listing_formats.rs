//! `LIST` forms beyond Unix and DOS (EPLF, VMS, OS/400, MVS, NetWare, OS/2), the detector, and the property that
//! every input line comes out as exactly one item.
//!
//! Sample lines are facts reused as data, from published test data of other projects:
//! - EPLF: D. J. Bernstein, "EPLF" (<https://cr.yp.to/ftp/list/eplf.html>), the example listing.
//! - VMS, OS/400, MVS, NetWare, OS/2: Apache Commons Net, `src/test/java/org/apache/commons/net/ftp/parser/`
//!   `VMSFTPEntryParserTest.java`, `OS400FTPEntryParserTest.java`, `MVSFTPEntryParserTest.java`,
//!   `NetwareFTPEntryParserTest.java`, `OS2FTPEntryParserTest.java` (their good and bad samples).

use ftpkit_proto::listing::{
    detect_list_format, format_from_syst, parse_list_line, parse_listing, parse_listing_as, parse_listing_detected,
    Date, DateTime, Entry, EntryKind, ListFormat, ListLine,
};
use proptest::prelude::*;

fn today() -> Date {
    Date::new(2026, 11, 24).unwrap()
}

fn dt(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<DateTime> {
    Some(DateTime::new(y, mo, d, h, mi, s, 0).unwrap())
}

fn entries(data: &str, format: Option<ListFormat>) -> Vec<Entry<'_>> {
    parse_listing_as(data, format, today())
        .filter_map(|l| match l {
            ListLine::Entry(e) => Some(e),
            ListLine::Unparsed(_) => None,
        })
        .collect()
}

fn one(line: &str, format: ListFormat) -> Entry<'_> {
    let got = entries(line, Some(format));
    assert_eq!(got.len(), 1, "{line:?} as {format:?}");
    let e = got.into_iter().next().unwrap();
    assert_eq!(e.format, format, "{line:?}");
    assert_eq!(e.raw, line);
    e
}

fn none(line: &str, format: ListFormat) {
    let got: Vec<_> = parse_listing_as(line, Some(format), today()).collect();
    assert_eq!(got.len(), 1);
    match &got[0] {
        ListLine::Unparsed(raw) => assert_eq!(raw, line),
        ListLine::Entry(e) => assert_ne!(e.format, format, "{line:?} should not read as {format:?}: {e:?}"),
    }
}

const EPLF: &str = "+i8388621.29609,m824255902,/,\tdev\r\n+i8388621.44468,m839956783,r,s10376,\tRFCEPLF\r\n";

#[test]
fn eplf() {
    let got = entries(EPLF, Some(ListFormat::Eplf));
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].name.as_ref(), got[0].kind.clone(), got[0].size), ("dev", EntryKind::Dir, None));
    assert_eq!(got[0].modified, DateTime::from_unix(824_255_902, 0));
    assert_eq!((got[1].name.as_ref(), got[1].kind.clone(), got[1].size), ("RFCEPLF", EntryKind::File, Some(10376)));
    assert_eq!(got[1].modified.unwrap().to_string(), "1996-08-13T17:19:43");
    let e = one("+i8388621.48594,m825718503,r,s280,up644,\tdjb.html", ListFormat::Eplf);
    assert_eq!(e.unix_mode, Some(0o644));
    none("+m825718503,r,s28x,\tbad-size", ListFormat::Eplf);
    none("+r,s1,", ListFormat::Eplf);
    none("+r,s1,\t", ListFormat::Eplf);
    // Without detection the one-line parser still leaves it alone (the shared vectors say so).
    assert!(matches!(parse_list_line("+r,s1,\tx", today()), ListLine::Unparsed(_)));
}

const VMS_GOOD: &[&str] = &[
    "1-JUN.LIS;1              9/9           2-JUN-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,RE)",
    "1-JUN.LIS;3              9/9           2-JUN-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,)",
    "DATA.DIR;1               1/9           2-JUN-1998 07:32:04  [TRANSLATED]     (,RWED,RWED,RE)",
    "120196.TXT;1           118/126        14-APR-1997 12:45:27  [GROUP,OWNER]    (RWED,,RWED,RE)",
    "A.;2                    18/18          1-JUL-1998 08:43:20  [GROUP,OWNER]    (RWED,RWED,RWED,RE)",
    "AA.;2                  152/153        13-FEB-1997 08:13:43  [GROUP,OWNER]    (RWED,RWED,RWED,RE)",
    "UNARCHIVE.COM;1          2/15          7-JUL-1997 16:37:45  [POSTWARE,LP]    (RWE,RWE,RWE,RE)",
    "FREEWARE40.DIR;1        27/36         16-FEB-1999 10:01:46  [AP_HTTPD,APACHE$WWW                               (RWE,RWE,RE,RE)",
    "1-JUN.LIS;1              9/9           2-jun-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,RE)",
    "ALLOCMISS.COM;1            1         15-AUG-1996 14:10:38  [POSTWARE,LP]    (RWE,RWE,RWE,RE)",
];
const VMS_BAD: &[&str] = &[
    "1-JUN.LIS;1              9/9           2-JUN-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,RE",
    "120196.TXT;1           118/126        14-APR-1997 12:45:27 PM  [GROUP,OWNER]    (RWED,,RWED,RE)",
    "AA.;2                  152/153        13-FED-1997 08:13:43  [GROUP,OWNER]    (RWED,RWED,RWED,RE)",
    "Directory USER1:[TEMP]",
    "Total 14 files",
];

#[test]
fn vms() {
    for line in VMS_GOOD {
        one(line, ListFormat::Vms);
    }
    for line in VMS_BAD {
        none(line, ListFormat::Vms);
    }
    let f = one(VMS_GOOD[0], ListFormat::Vms);
    assert_eq!((f.name.as_ref(), f.kind.clone(), f.size), ("1-JUN.LIS", EntryKind::File, Some(9 * 512)));
    assert_eq!((f.group.as_deref(), f.owner.as_deref()), (Some("GROUP"), Some("OWNER")));
    assert_eq!(f.permissions.as_deref(), Some("RWED,RWED,RWED,RE"));
    assert_eq!(f.modified, dt(1998, 6, 2, 7, 32, 4));
    let d = one(VMS_GOOD[2], ListFormat::Vms);
    assert_eq!(
        (d.name.as_ref(), d.kind.clone(), d.owner.as_deref(), d.group),
        ("DATA.DIR", EntryKind::Dir, Some("TRANSLATED"), None)
    );
    let w = one(VMS_GOOD[7], ListFormat::Vms);
    assert_eq!((w.group.as_deref(), w.owner.as_deref()), (Some("AP_HTTPD"), Some("APACHE$WWW")));
    // A long name alone on its line: the columns on the next line make the entry; both lines are items.
    let wrapped = "Directory USER1:[TEMP]\r\n\r\nUCX$REXECD_STARTUP.LOG;1098\r\n                         4/15         24-FEB-2003 13:17:24  [POSTWARE,LP]    (RWED,RWED,RE,)\r\nUNXMERGE.COM;15          1/15         20-AUG-1996 13:59:50  [POSTWARE,LP]    (RWE,RWE,RWE,RE)\r\n\r\nTotal 2 files\r\n";
    let items: Vec<_> = parse_listing(wrapped, today()).collect();
    assert_eq!(items.len(), 7);
    let got: Vec<_> = items.iter().filter_map(|l| l.entry()).map(|e| (e.name.to_string(), e.size)).collect();
    assert_eq!(got, [("UCX$REXECD_STARTUP.LOG".to_owned(), Some(4 * 512)), ("UNXMERGE.COM".to_owned(), Some(512))]);
    assert_eq!(items[2], ListLine::Unparsed("UCX$REXECD_STARTUP.LOG;1098".into()));
}

const OS400_GOOD: &[&str] = &[
    "PEP              4019 04/03/18 18:58:16 *STMF      einladung.zip",
    "PEP               422 04/03/24 14:06:26 *STMF      readme",
    "PEP              6409 04/03/24 14:06:29 *STMF      build.xml",
    "PEP             36864 04/03/24 14:06:34 *DIR       dir1/",
    "PEP             36864 04/03/24 14:06:47 *DIR       zdir2/",
    "PEP              5000000000 04/03/24 14:06:29 *STMF      build.xml",
    "ZFTPDEV 9069 05/20/15 15:36:52 *STMF /DRV/AUDWRKSHET/AUDWRK0204232015114625.PDF",
    "QSYS                                    *MEM       MYFILE.FILE/MYMEM.MBR",
];
const OS400_BAD: &[&str] = &[
    "PEP              4019 04/03/18 18:58:16 STMF       einladung.zip",
    "PEP               422 03/24 14:06:26 *STMF      readme",
    "PEP              6409 04/03/24 30:06:29 *STMF      build.xml",
    "PEP USR         36864 04/03/24 14:06:34 *DIR       dir1/",
    "PEP             3686404/03/24 14:06:47 *DIR       zdir2/",
];

#[test]
fn os400() {
    for line in OS400_GOOD {
        one(line, ListFormat::Os400);
    }
    for line in OS400_BAD {
        none(line, ListFormat::Os400);
    }
    let d = one(OS400_GOOD[3], ListFormat::Os400);
    assert_eq!(
        (d.name.as_ref(), d.kind.clone(), d.size, d.owner.as_deref()),
        ("dir1", EntryKind::Dir, Some(36864), Some("PEP"))
    );
    assert_eq!(d.modified, dt(2004, 3, 24, 14, 6, 34));
    assert_eq!(one(OS400_GOOD[5], ListFormat::Os400).size, Some(5_000_000_000));
    let mmddyy = one(OS400_GOOD[6], ListFormat::Os400);
    assert_eq!(mmddyy.modified, dt(2015, 5, 20, 15, 36, 52));
    let mem = one(OS400_GOOD[7], ListFormat::Os400);
    assert_eq!(
        (mem.name.as_ref(), mem.kind.clone(), mem.size, mem.modified),
        ("MYFILE.FILE/MYMEM.MBR", EntryKind::File, None, None)
    );
}

const MVS_DATASETS: &str = "Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname\r\n\
SAVE00 3390   2004/06/23  1    1  FB     128  6144  PS    INCOMING.RPTBM023.D061704\r\n\
SAVE01 3390   2004/06/23  1    1  FB     128  6144  PO    INCOMING.RPTBM024.D061704\r\n\
SAVE02 3390   2004/06/23  1    1  FB     128  6144  PO-E  INCOMING.RPTBM025.D061704\r\n\
PSMLC1 3390   2005/04/04  1    1  VB   27994 27998  PS    file3.I\r\n\
Migrated                                                  PROD.OLD.DATA\r\n\
Pseudo Directory                                          PROD.SUB\r\n";
const MVS_MEMBERS: &str = "Name      VV.MM   Created       Changed      Size  Init   Mod   Id\r\n\
SAVE03    01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001\r\n\
SAVE04                                                              \r\n\
TBSHELF1  01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001\r\n";

#[test]
fn mvs() {
    assert_eq!(detect_list_format(None, MVS_DATASETS, today()), Some(ListFormat::Mvs));
    let items: Vec<_> = parse_listing(MVS_DATASETS, today()).collect();
    assert_eq!(items.len(), 7);
    assert!(matches!(items[0], ListLine::Unparsed(_)));
    let got: Vec<_> =
        items.iter().filter_map(|l| l.entry()).map(|e| (e.name.to_string(), e.kind.name().to_owned())).collect();
    let want = [
        ("INCOMING.RPTBM023.D061704", "file"),
        ("INCOMING.RPTBM024.D061704", "dir"),
        ("INCOMING.RPTBM025.D061704", "dir"),
        ("file3.I", "file"),
        ("PROD.OLD.DATA", "file"),
        ("PROD.SUB", "dir"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(items[1].entry().unwrap().modified, dt(2004, 6, 23, 0, 0, 0));
    assert_eq!(detect_list_format(None, MVS_MEMBERS, today()), Some(ListFormat::Mvs));
    let members: Vec<_> = parse_listing(MVS_MEMBERS, today())
        .filter_map(|l| match l {
            ListLine::Entry(e) => Some(e),
            ListLine::Unparsed(_) => None,
        })
        .collect();
    let names: Vec<_> = members.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(names, ["SAVE03", "SAVE04", "TBSHELF1"]);
    assert_eq!(members[0].modified, dt(2002, 10, 11, 9, 37, 0));
    assert_eq!(members[1].modified, None);
    // Commons Net's bad data set lines: not data sets (in a listing known to be MVS a lone word is a member name).
    for bad in ["MigratedP201.$FTXPBI1.$CF2ITB.$AAB0402.I", "PSMLC133902005/04/041VB2799427998PSfile1.I"] {
        assert_eq!(parse_listing(bad, today()).collect::<Vec<_>>(), [ListLine::Unparsed(bad.into())]);
    }
    none("SAVE00 3390   2004/06/23  1    1  FB     128  6144  PS    TWO NAMES", ListFormat::Mvs);
    none("SAVE00 3390   2004/13/23  1    1  FB     128  6144  PS    BAD.MONTH", ListFormat::Mvs);
    // A lone name is a member only in a listing known to be MVS (the SYST reply says so), never on its own.
    assert_eq!(detect_list_format(None, "file2.O\r\n", today()), None);
    let syst = "215 MVS is the operating system of this server. FTP Server is running on z/OS.";
    assert_eq!(detect_list_format(Some(syst), "file2.O\r\n", today()), Some(ListFormat::Mvs));
    assert_eq!(
        parse_listing_detected("file2.O\r\n", Some(syst), today())
            .filter_map(|l| match l {
                ListLine::Entry(e) => Some(e),
                ListLine::Unparsed(_) => None,
            })
            .count(),
        1
    );
}

const NETWARE_GOOD: &[&str] = &[
    "d [-----F--] SCION_SYS                         512 Apr 13 23:52 SYS",
    "d [----AF--]          0                        512 Feb 22 17:32 _ADMIN",
    "d [-W---F--] SCION_VOL2                        512 Apr 13 23:12 VOL2",
    "- [RWCEAFMS] rwinston                        19968 Mar 12 15:20 Executive Summary.doc",
    "d [RWCEAFMS] rwinston                          512 Nov 24  2005 Favorites",
    "d [R----F--] supervisor            512       Jan 16 18:53 login",
];
const NETWARE_BAD: &[&str] = &[
    "a [-----F--] SCION_SYS                         512 Apr 13 23:52 SYS",
    "d [----AF--]          0                        512 10-04-2001 _ADMIN",
];

#[test]
fn netware() {
    for line in NETWARE_GOOD {
        one(line, ListFormat::NetWare);
    }
    for line in NETWARE_BAD {
        none(line, ListFormat::NetWare);
    }
    let f = one(NETWARE_GOOD[3], ListFormat::NetWare);
    assert_eq!((f.name.as_ref(), f.kind.clone(), f.size), ("Executive Summary.doc", EntryKind::File, Some(19968)));
    assert_eq!((f.owner.as_deref(), f.permissions.as_deref()), (Some("rwinston"), Some("RWCEAFMS")));
    assert_eq!(f.modified, dt(2026, 3, 12, 15, 20, 0));
    assert_eq!(one(NETWARE_GOOD[4], ListFormat::NetWare).modified, dt(2005, 11, 24, 0, 0, 0));
    assert_eq!(one(NETWARE_GOOD[1], ListFormat::NetWare).owner.as_deref(), Some("0"));
}

const OS2_GOOD: &[&str] = &[
    "     0           DIR   12-30-97   12:32  jbrekke",
    "     0           DIR   05-12-97   16:52  Maintenance Desktop",
    "587823    RSA    DIR   01-08-97   13:58  OS2KRNL",
    " 33280      A          02-09-97   13:49  OS2LDR",
    "149473      A          11-17-98   16:07  POPUPLOG.OS2",
    "     0           DIR   05-19-2000 12:56  local",
    "5000000000      A          11-17-98   16:07  POPUPLOG.OS2",
];
const OS2_BAD: &[&str] = &[
    "                 DIR   12-30-97   12:32  jbrekke",
    "     0    rsa    DIR   11-25-97   09:42  junk",
    "     0           dir   05-12-97   16:44  LANGUAGE",
    "     0           DIR   13-05-97   25:49  MPTN",
    "587823    RSA    DIR   Jan-08-97   13:58  OS2KRNL",
    " 33280      A          1997-02-03  13:49  OS2LDR",
    "12-05-96  05:03PM       <DIR>          absoft2",
    "11-14-97  04:21PM                  953 AUDITOR3.INI",
];

#[test]
fn os2() {
    for line in OS2_GOOD {
        one(line, ListFormat::Os2);
    }
    for line in OS2_BAD {
        none(line, ListFormat::Os2);
    }
    let d = one(OS2_GOOD[1], ListFormat::Os2);
    assert_eq!((d.name.as_ref(), d.kind.clone(), d.size), ("Maintenance Desktop", EntryKind::Dir, Some(0)));
    assert_eq!(d.modified, dt(1997, 5, 12, 16, 52, 0));
    let f = one(OS2_GOOD[6], ListFormat::Os2);
    assert_eq!(
        (f.kind.clone(), f.size, f.modified),
        (EntryKind::File, Some(5_000_000_000), dt(1998, 11, 17, 16, 7, 0))
    );
    assert_eq!(one(OS2_GOOD[5], ListFormat::Os2).modified, dt(2000, 5, 19, 12, 56, 0));
}

fn joined(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

#[test]
fn detector_picks_each_form_from_its_lines() {
    let r = today();
    assert_eq!(detect_list_format(None, EPLF, r), Some(ListFormat::Eplf));
    assert_eq!(
        detect_list_format(None, &format!("Directory USER1:[TEMP]\r\n\r\n{}", joined(VMS_GOOD)), r),
        Some(ListFormat::Vms)
    );
    assert_eq!(detect_list_format(None, &joined(OS400_GOOD), r), Some(ListFormat::Os400));
    assert_eq!(detect_list_format(None, &joined(NETWARE_GOOD), r), Some(ListFormat::NetWare));
    assert_eq!(detect_list_format(None, &joined(OS2_GOOD), r), Some(ListFormat::Os2));
    let unix = "total 8\r\ndrwxr-xr-x 2 a b 4096 Jan  1 10:00 d\r\n-rw-r--r-- 1 a b 3 Jan  1 10:00 f\r\n";
    assert_eq!(detect_list_format(None, unix, r), Some(ListFormat::Unix));
    let dos =
        "12-05-96  05:03PM       <DIR>          absoft2\r\n11-14-97  04:21PM                  953 AUDITOR3.INI\r\n";
    assert_eq!(detect_list_format(None, dos, r), Some(ListFormat::Dos));
    assert_eq!(detect_list_format(None, "", r), None);
    assert_eq!(detect_list_format(None, "total 0\r\n", r), None);
    // The lines have the last word over SYST: a z/OS server listing its Unix file system says MVS and lists `ls -l`.
    assert_eq!(
        detect_list_format(Some("215 MVS is the operating system of this server."), unix, r),
        Some(ListFormat::Unix)
    );
    // Detected listings read the new forms; before detection these lines were Unparsed.
    let got: Vec<_> = parse_listing(&joined(NETWARE_GOOD), r).filter_map(|l| l.entry().map(|e| e.format)).collect();
    assert_eq!(got, vec![ListFormat::NetWare; NETWARE_GOOD.len()]);
}

#[test]
fn syst_replies() {
    let cases = [
        ("215 UNIX Type: L8", Some(ListFormat::Unix)),
        ("UNIX Type: L8 Version: BSD-199506", Some(ListFormat::Unix)),
        ("215 Windows_NT", Some(ListFormat::Dos)),
        ("215 VMS", Some(ListFormat::Vms)),
        ("215 OpenVMS V8.4", Some(ListFormat::Vms)),
        ("215 MVS is the operating system of this server. FTP Server is running on z/OS.", Some(ListFormat::Mvs)),
        ("215 OS/400 is the remote operating system. The TCP/IP version is \"V5R1M0\".", Some(ListFormat::Os400)),
        ("215 NetWare system type.", Some(ListFormat::NetWare)),
        ("215 OS/2", Some(ListFormat::Os2)),
        ("215 Plan 9", None),
        ("", None),
    ];
    for (syst, want) in cases {
        assert_eq!(format_from_syst(syst), want, "{syst:?}");
    }
}

/// The items of a payload: one per line, and each line kept whole (as the entry's `raw` or the `Unparsed` text).
fn check_one_item_per_line(data: &str, syst: Option<&str>) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = if data.is_empty() {
        Vec::new()
    } else {
        let strip = |l: &'_ str| -> usize {
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.strip_suffix('\r').unwrap_or(l).len()
        };
        data.strip_suffix('\n').unwrap_or(data).split('\n').map(|l| &l[..strip(l)]).collect()
    };
    let items: Vec<_> = parse_listing_detected(data, syst, today()).collect();
    prop_assert_eq!(items.len(), lines.len());
    for (item, line) in items.iter().zip(&lines) {
        let text = match item {
            ListLine::Entry(e) => e.raw.as_ref(),
            ListLine::Unparsed(raw) => raw.as_ref(),
        };
        prop_assert_eq!(text, *line);
    }
    Ok(())
}

fn sample_line() -> impl Strategy<Value = String> {
    let all: Vec<&str> = [VMS_GOOD, VMS_BAD, OS400_GOOD, OS400_BAD, NETWARE_GOOD, NETWARE_BAD, OS2_GOOD, OS2_BAD]
        .concat()
        .into_iter()
        .chain(EPLF.lines())
        .chain(MVS_DATASETS.lines())
        .chain(MVS_MEMBERS.lines())
        .chain(["UCX$REXECD_STARTUP.LOG;1098", "    4/15  24-FEB-2003 13:17:24  [A,B]  (R,,,)", "", "total 3"])
        .collect();
    let all: Vec<String> = all.into_iter().map(|s| s.trim_end_matches('\r').to_owned()).collect();
    // A sample line with a few bytes edited: near misses reach the parsers' deeper branches.
    (proptest::sample::select(all), proptest::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..3))
        .prop_map(|(line, edits)| {
            let mut chars: Vec<char> = line.chars().collect();
            for (at, c) in edits {
                if !chars.is_empty() && c != '\n' && c != '\r' {
                    let i = at.index(chars.len());
                    chars[i] = c;
                }
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #[test]
    fn any_text_is_one_item_per_line(data in "(\\PC|\r|\n){0,300}", syst in proptest::option::of("[A-Za-z0-9/ ]{0,20}")) {
        check_one_item_per_line(&data, syst.as_deref())?;
    }

    #[test]
    fn edited_samples_are_one_item_per_line(
        lines in proptest::collection::vec(sample_line(), 0..12),
        crlf in any::<bool>(),
        syst in proptest::option::of(proptest::sample::select(vec!["215 VMS", "215 MVS", "215 OS/400", "215 NetWare", "215 OS/2", "215 UNIX Type: L8"])),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let data: String = lines.iter().map(|l| format!("{l}{end}")).collect();
        check_one_item_per_line(&data, syst)?;
        for format in [ListFormat::Eplf, ListFormat::Vms, ListFormat::Os400, ListFormat::Mvs, ListFormat::NetWare, ListFormat::Os2] {
            prop_assert_eq!(parse_listing_as(&data, Some(format), today()).count(), lines.len());
        }
    }
}
