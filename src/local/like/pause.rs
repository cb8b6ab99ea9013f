//! The task's network holder: in awsvpc every container of a task shares one
//! network namespace, which outlives any one of them (an init container that
//! exits does not take the network with it). Locally a tiny container that
//! only waits holds that namespace and the others join it
//! (`network_mode: container:<id>`), as Kubernetes' and ECS's own `pause`
//! containers do.
//!
//! No image can be pulled or assumed, so the image is made here: a 129-byte
//! static ELF executable that waits for signals forever (`pause(2)` on
//! x86_64, `ppoll(2)` with no descriptors on arm64, which has no `pause`),
//! `FROM scratch`. Pure: the bytes and the build context; the engine calls
//! are in [`super::run`].

/// The image's name; its tag changes whenever the bytes do.
pub(crate) const IMAGE: &str = "parity-task-pause:1";

/// Where the executable is loaded (the usual base of a static executable).
const BASE: u64 = 0x40_0000;
/// ELF header (64 bytes) and one program header (56 bytes).
const HEADERS: usize = 64 + 56;

/// The machine code of the wait loop for an engine architecture (`uname -m`
/// or Docker's names), with the ELF `e_machine` it runs on.
fn code(arch: &str) -> Option<(u16, Vec<u8>)> {
    match arch {
        "x86_64" | "amd64" => Some((
            0x3e,
            vec![
                0xb8, 0x22, 0x00, 0x00, 0x00, // mov eax, 34 (pause)
                0x0f, 0x05, // syscall
                0xeb, 0xf7, // jmp back to the mov
            ],
        )),
        "aarch64" | "arm64" => {
            let words: [u32; 8] = [
                0xd280_0000, // mov x0, #0 (no descriptors)
                0xd280_0001, // mov x1, #0
                0xd280_0002, // mov x2, #0 (no timeout: forever)
                0xd280_0003, // mov x3, #0
                0xd280_0004, // mov x4, #0
                0xd280_0928, // mov x8, #73 (ppoll)
                0xd400_0001, // svc #0
                0x17ff_fff9, // b back to the first mov
            ];
            Some((0xb7, words.iter().flat_map(|w| w.to_le_bytes()).collect()))
        }
        _ => None,
    }
}

/// The executable for `arch`, or `None` for an architecture parity has no code for.
pub(crate) fn executable(arch: &str) -> Option<Vec<u8>> {
    let (machine, code) = code(arch)?;
    let size = (HEADERS + code.len()) as u64;
    let mut elf = Vec::with_capacity(HEADERS + code.len());
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    elf.extend_from_slice(&(BASE + HEADERS as u64).to_le_bytes()); // entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // program headers at
    elf.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    elf.extend_from_slice(&0u32.to_le_bytes()); // flags
    for half in [64u16, 56, 1, 64, 0, 0] {
        // header size, ph size, ph count, sh size, sh count, sh string index
        elf.extend_from_slice(&half.to_le_bytes());
    }
    elf.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // R + X
    elf.extend_from_slice(&0u64.to_le_bytes()); // from file offset 0
    elf.extend_from_slice(&BASE.to_le_bytes()); // vaddr
    elf.extend_from_slice(&BASE.to_le_bytes()); // paddr
    elf.extend_from_slice(&size.to_le_bytes()); // file size
    elf.extend_from_slice(&size.to_le_bytes()); // memory size
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // alignment
    elf.extend_from_slice(&code);
    Some(elf)
}

/// The build context: a Dockerfile and the executable, as a tar.
pub(crate) fn context(arch: &str) -> Option<Vec<u8>> {
    let binary = executable(arch)?;
    let dockerfile = b"FROM scratch\nCOPY pause /pause\nENTRYPOINT [\"/pause\"]\n";
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes, mode) in [
        ("Dockerfile", &dockerfile[..], 0o644),
        ("pause", &binary[..], 0o755),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes).ok()?;
    }
    tar.into_inner().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_is_a_static_elf_whose_entry_is_its_code() {
        let elf = executable("amd64").unwrap();
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(elf.len(), HEADERS + 9);
        let entry = u64::from_le_bytes(elf[24..32].try_into().unwrap());
        assert_eq!(entry, BASE + HEADERS as u64);
        let file_size = u64::from_le_bytes(elf[96..104].try_into().unwrap());
        assert_eq!(file_size, elf.len() as u64);
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 0x3e);
        let arm = executable("aarch64").unwrap();
        assert_eq!(u16::from_le_bytes([arm[18], arm[19]]), 0xb7);
        assert_eq!(arm.len(), HEADERS + 32);
        assert!(executable("s390x").is_none());
    }

    #[test]
    fn the_context_holds_the_dockerfile_and_an_executable() {
        let tar = context("x86_64").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let entries: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("Dockerfile".to_string(), 0o644),
                ("pause".to_string(), 0o755)
            ]
        );
    }
}
