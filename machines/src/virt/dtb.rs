//! The device tree the `virt` board hands a kernel: exactly what the board has (memory, one
//! PE with PSCI, the generic timer, the GICv3, the PL011 and its clock, /chosen), in the shape
//! of QEMU virt's so that kernels built for it find their devices. Built with `vm-fdt`.

use vm_fdt::{Error, FdtWriter, FdtWriterNode};

use super::map;

/// What /chosen says.
pub struct Chosen<'a> {
    pub bootargs: &'a str,
    /// The initrd's physical start and end (exclusive).
    pub initrd: Option<(u64, u64)>,
}

const GIC_PHANDLE: u32 = 1;
const CLOCK_PHANDLE: u32 = 2;
const SECURE_GPIO_PHANDLE: u32 = 3;
/// GIC interrupt specifier types and flags.
const SPI: u32 = 0;
const PPI: u32 = 1;
const LEVEL_HIGH: u32 = 4;
/// The PPI specifier's CPU mask bit for PE 0.
const PPI_ONE_CPU: u32 = 1 << 8;

/// The DTB for a board with `ram_bytes` of RAM whose PSCI conduit is `hvc` or `smc` (`None`:
/// EL3 firmware answers PSCI and adds the /psci node itself, as TF-A's BL2 does);
/// `hyp_virt_timer`: the PEs have EL2's virtual timer (FEAT_VHE), the timer node's fifth
/// interrupt; `secure`: the board has EL3, as QEMU's `secure=on`. Then flash bank 0, Secure
/// RAM, the Secure UART and the Secure GPIO (with its power-off and reset pins) are in the
/// Secure physical address space only, so their nodes are for Secure software alone
/// (`status = "disabled"`, `secure-status = "okay"`). `pmu`: the PEs have
/// FEAT_PMUv3, whose overflow interrupt is PPI 7 (INTID 23), as QEMU's /pmu node says.
pub fn generate(
    ram_bytes: u64,
    smp: usize,
    psci_method: Option<&str>,
    hyp_virt_timer: bool,
    secure: bool,
    pmu: bool,
    chosen: &Chosen,
) -> Result<Vec<u8>, Error> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_string("compatible", "linux,dummy-virt")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_u32("interrupt-parent", GIC_PHANDLE)?;
    f.property_string("model", "specula virt")?;

    let c = f.begin_node("chosen")?;
    f.property_string("bootargs", chosen.bootargs)?;
    f.property_string("stdout-path", &format!("/pl011@{:x}", map::UART))?;
    if let Some((start, end)) = chosen.initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(c)?;

    let bank = map::FLASH_SIZE / 2;
    let mut flash = |name: &str, reg: &[u64], secure: bool| -> Result<(), Error> {
        let node = f.begin_node(&format!("{name}@{:x}", reg[0]))?;
        f.property_string("compatible", "cfi-flash")?;
        f.property_array_u64("reg", reg)?;
        f.property_u32("bank-width", 4)?;
        if secure {
            secure_only(&mut f)?;
        }
        f.end_node(node)
    };
    if secure {
        flash("secflash", &[map::FLASH, bank], true)?;
        flash("flash", &[map::FLASH + bank, bank], false)?;
    } else {
        flash("flash", &[map::FLASH, bank, map::FLASH + bank, bank], false)?;
    }

    if secure {
        let ram = f.begin_node(&format!("secram@{:x}", map::SECURE_RAM))?;
        secure_only(&mut f)?;
        f.property_string("device_type", "memory")?;
        f.property_array_u64("reg", &[map::SECURE_RAM, map::SECURE_RAM_SIZE])?;
        f.end_node(ram)?;

        let secure_uart = (map::SECURE_UART, map::UART_SIZE, map::SPI_SECURE_UART);
        let uart = primecell(&mut f, "pl011", secure_uart, true)?;
        f.end_node(uart)?;

        let secure_gpio = (
            map::SECURE_GPIO,
            map::SECURE_GPIO_SIZE,
            map::SPI_SECURE_GPIO,
        );
        let gpio = primecell(&mut f, "pl061", secure_gpio, true)?;
        f.property_null("gpio-controller")?;
        f.property_u32("#gpio-cells", 2)?;
        f.property_phandle(SECURE_GPIO_PHANDLE)?;
        f.end_node(gpio)?;

        for (name, pin) in [
            ("gpio-poweroff", map::GPIO_POWEROFF),
            ("gpio-restart", map::GPIO_RESET),
        ] {
            let node = f.begin_node(name)?;
            secure_only(&mut f)?;
            f.property_string("compatible", name)?;
            let pin = pin.trailing_zeros();
            f.property_array_u32("gpios", &[SECURE_GPIO_PHANDLE, pin, 0])?;
            f.end_node(node)?;
        }
    }

    let rtc = primecell(
        &mut f,
        "pl031",
        (map::RTC, map::RTC_SIZE, map::SPI_RTC),
        false,
    )?;
    f.end_node(rtc)?;

    let fw = f.begin_node(&format!("fw-cfg@{:x}", map::FW_CFG))?;
    f.property_string("compatible", "qemu,fw-cfg-mmio")?;
    f.property_array_u64("reg", &[map::FW_CFG, crate::devices::fw_cfg::SIZE])?;
    f.property_null("dma-coherent")?;
    f.end_node(fw)?;

    let m = f.begin_node(&format!("memory@{:x}", map::RAM))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &[map::RAM, ram_bytes])?;
    f.end_node(m)?;

    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    for k in 0..smp {
        let cpu = f.begin_node(&format!("cpu@{k}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_string("compatible", "arm,arm-v8")?;
        f.property_u32("reg", k as u32)?;
        f.property_string("enable-method", "psci")?;
        f.end_node(cpu)?;
    }
    f.end_node(cpus)?;

    if let Some(psci_method) = psci_method {
        let psci = f.begin_node("psci")?;
        f.property_string_list(
            "compatible",
            vec![
                "arm,psci-1.0".into(),
                "arm,psci-0.2".into(),
                "arm,psci".into(),
            ],
        )?;
        f.property_string("method", psci_method)?;
        f.property_u32("cpu_suspend", 0xc400_0001)?;
        f.property_u32("cpu_off", 0x8400_0002)?;
        f.property_u32("cpu_on", 0xc400_0003)?;
        f.property_u32("migrate", 0xc400_0005)?;
        f.end_node(psci)?;
    }

    let timer = f.begin_node("timer")?;
    f.property_string_list(
        "compatible",
        vec!["arm,armv8-timer".into(), "arm,armv7-timer".into()],
    )?;
    // The PPI specifier's CPU mask: every PE.
    let cpus = ((1u32 << smp.min(8)) - 1) * PPI_ONE_CPU;
    let ppi = |n: usize| [PPI, (n - 16) as u32, cpus | LEVEL_HIGH];
    let mut cells = Vec::new();
    for n in [
        map::PPI_SECURE_TIMER,
        map::PPI_PHYS_TIMER,
        map::PPI_VIRT_TIMER,
        map::PPI_HYP_TIMER,
    ] {
        cells.extend_from_slice(&ppi(n));
    }
    if hyp_virt_timer {
        cells.extend_from_slice(&ppi(map::PPI_HYP_VIRT_TIMER));
    }
    f.property_array_u32("interrupts", &cells)?;
    f.property_null("always-on")?;
    f.end_node(timer)?;

    if pmu {
        let node = f.begin_node("pmu")?;
        f.property_string("compatible", "arm,armv8-pmuv3")?;
        // As QEMU's node with a GICv3: no CPU mask in the flags.
        let pmu_ppi = [PPI, (map::PPI_PMU - 16) as u32, LEVEL_HIGH];
        f.property_array_u32("interrupts", &pmu_ppi)?;
        f.end_node(node)?;
    }

    let gic = f.begin_node(&format!("intc@{:x}", map::GIC_DIST))?;
    f.property_string("compatible", "arm,gic-v3")?;
    f.property_u32("#interrupt-cells", 3)?;
    f.property_null("interrupt-controller")?;
    f.property_u32("#redistributor-regions", 1)?;
    f.property_array_u64(
        "reg",
        &[
            map::GIC_DIST,
            map::GIC_DIST_SIZE,
            map::GIC_REDIST,
            map::GIC_REDIST_SIZE * smp as u64,
        ],
    )?;
    f.property_phandle(GIC_PHANDLE)?;
    f.end_node(gic)?;

    let clk = f.begin_node("apb-pclk")?;
    f.property_string("compatible", "fixed-clock")?;
    f.property_u32("#clock-cells", 0)?;
    f.property_u32("clock-frequency", 24_000_000)?;
    f.property_string("clock-output-names", "clk24mhz")?;
    f.property_phandle(CLOCK_PHANDLE)?;
    f.end_node(clk)?;

    let uart = primecell(
        &mut f,
        "pl011",
        (map::UART, map::UART_SIZE, map::SPI_UART),
        false,
    )?;
    f.end_node(uart)?;

    f.end_node(root)?;
    f.finish()
}

/// Marks the node being written as Secure software's only (QEMU's convention).
fn secure_only(f: &mut FdtWriter) -> Result<(), Error> {
    f.property_string("status", "disabled")?;
    f.property_string("secure-status", "okay")
}

/// Begins the node of a PrimeCell device `kind` ("pl011", "pl031", "pl061") at `(base, size,
/// INTID of its SPI)`: its `compatible` (its own name, then "arm,primecell"), reg, interrupt
/// and clocks (a PL011 has its UART clock besides APB's), for Secure software only if `secure`.
fn primecell(
    f: &mut FdtWriter,
    kind: &str,
    (base, size, spi): (u64, u64, usize),
    secure: bool,
) -> Result<FdtWriterNode, Error> {
    let node = f.begin_node(&format!("{kind}@{base:x}"))?;
    if secure {
        secure_only(f)?;
    }
    f.property_string_list(
        "compatible",
        vec![format!("arm,{kind}"), "arm,primecell".into()],
    )?;
    f.property_array_u64("reg", &[base, size])?;
    f.property_array_u32("interrupts", &[SPI, (spi - 32) as u32, LEVEL_HIGH])?;
    if kind == "pl011" {
        f.property_array_u32("clocks", &[CLOCK_PHANDLE, CLOCK_PHANDLE])?;
        f.property_string_list("clock-names", vec!["uartclk".into(), "apb_pclk".into()])?;
    } else {
        f.property_u32("clocks", CLOCK_PHANDLE)?;
        f.property_string("clock-names", "apb_pclk")?;
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    /// The blob is a well-formed FDT (magic, total size) naming the devices the board has.
    #[test]
    fn a_dtb_for_the_board() {
        let chosen = super::Chosen {
            bootargs: "console=ttyAMA0",
            initrd: Some((0x4800_0000, 0x4810_0000)),
        };
        let b = super::generate(128 << 20, 2, Some("hvc"), false, false, false, &chosen).unwrap();
        assert_eq!(&b[..4], &[0xd0, 0x0d, 0xfe, 0xed]);
        assert_eq!(
            u32::from_be_bytes(b[4..8].try_into().unwrap()) as usize,
            b.len()
        );
        let text = String::from_utf8_lossy(&b);
        for s in [
            "arm,gic-v3",
            "arm,pl011",
            "arm,armv8-timer",
            "arm,psci-1.0",
            "console=ttyAMA0",
            "linux,initrd-start",
            "memory@40000000",
            "pl011@9000000",
            "cpu@1",
        ] {
            assert!(text.contains(s), "{s}");
        }
        // With EL2's virtual timer the timer node lists a fifth interrupt (PPI 12: INTID 28).
        let with = super::generate(128 << 20, 2, Some("hvc"), true, false, false, &chosen).unwrap();
        assert_eq!(with.len(), b.len() + 12);
        // With EL3, flash bank 0 is a Secure-only node and bank 1 a node of its own; the
        // Secure devices are described for Secure software, and PSCI is the firmware's.
        let secure = super::generate(128 << 20, 2, None, false, true, true, &chosen).unwrap();
        let text = String::from_utf8_lossy(&secure);
        for s in [
            "secflash@0",
            "secure-status",
            "flash@4000000",
            "secram@e000000",
            "pl011@9040000",
            "pl061@90b0000",
            "gpio-poweroff",
            "gpio-restart",
            "arm,armv8-pmuv3",
        ] {
            assert!(text.contains(s), "{s}");
        }
        assert!(!text.contains("arm,psci"));
        // With EL3 but no firmware (a kernel started directly), the board's PSCI is described.
        let board_psci =
            super::generate(128 << 20, 2, Some("smc"), false, true, true, &chosen).unwrap();
        assert!(String::from_utf8_lossy(&board_psci).contains("arm,psci"));
        let text = String::from_utf8_lossy(&b);
        for s in ["secflash", "secram", "pl061", "gpio-poweroff", "pmuv3"] {
            assert!(!text.contains(s), "{s}");
        }
    }
}
