//! The Arm PrimeCell GPIO PL061 (Arm DDI 0190): eight pins, each an input or an output, with
//! edge- or level-sensitive interrupts. On the `virt` board it is QEMU's Secure GPIO, whose
//! output pins 0 and 1 are wired to power-off and reset (TF-A's PSCI SYSTEM_OFF and
//! SYSTEM_RESET drive them); nothing drives its inputs, which read as 0.

use super::Device;

const DIR: u64 = 0x400;
const IS: u64 = 0x404;
const IBE: u64 = 0x408;
const IEV: u64 = 0x40c;
const IE: u64 = 0x410;
const RIS: u64 = 0x414;
const MIS: u64 = 0x418;
const IC: u64 = 0x41c;
const AFSEL: u64 = 0x420;
const ID: [u8; 8] = [0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

#[derive(Debug, Default)]
pub struct Pl061 {
    data: u8,
    dir: u8,
    is: u8,
    ibe: u8,
    iev: u8,
    ie: u8,
    /// Edge-triggered interrupts latched and not yet cleared.
    edges: u8,
    afsel: u8,
    /// The pins driven high, as last reported to the board.
    reported: u8,
}

impl Pl061 {
    pub fn new() -> Pl061 {
        Pl061::default()
    }

    /// The pins the PL061 drives high: outputs whose data bit is set.
    pub fn outputs_high(&self) -> u8 {
        self.data & self.dir
    }

    /// The level on each pin: an output's own value; inputs are undriven and read 0.
    fn pins(&self) -> u8 {
        self.outputs_high()
    }

    /// The raw interrupt status: latched edges, and level-sensitive pins at their level
    /// (GPIOIEV: 1 high, 0 low). Only input pins interrupt.
    fn ris(&self) -> u8 {
        let level = !(self.pins() ^ self.iev) & self.is & !self.dir;
        self.edges | level
    }
}

impl Device for Pl061 {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn read(&mut self, offset: u64, _size: usize) -> Option<u64> {
        Some(u64::from(match offset {
            // GPIODATA: address bits [9:2] mask which pins a read sees.
            0x000..=0x3fc => self.pins() & (offset >> 2) as u8,
            DIR => self.dir,
            IS => self.is,
            IBE => self.ibe,
            IEV => self.iev,
            IE => self.ie,
            RIS => self.ris(),
            MIS => self.ris() & self.ie,
            AFSEL => self.afsel,
            0xfe0..=0xffc if offset.is_multiple_of(4) => ID[((offset - 0xfe0) / 4) as usize],
            _ => 0,
        }))
    }

    fn write(&mut self, offset: u64, _size: usize, value: u64) -> bool {
        let v = value as u8;
        match offset {
            // GPIODATA: only the pins the address's bits [9:2] select change.
            0x000..=0x3fc => {
                let mask = (offset >> 2) as u8;
                self.data = (self.data & !mask) | (v & mask);
            }
            DIR => self.dir = v,
            IS => self.is = v,
            IBE => self.ibe = v,
            IEV => self.iev = v,
            IE => self.ie = v,
            IC => self.edges &= !v,
            AFSEL => self.afsel = v,
            _ => {}
        }
        true
    }

    fn interrupt(&self) -> bool {
        self.ris() & self.ie != 0
    }

    fn board_event(&mut self) -> bool {
        let now = self.outputs_high();
        let changed = now != self.reported;
        self.reported = now;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_writes_are_masked_by_address_and_outputs_reach_the_board() {
        let mut g = Pl061::new();
        assert_eq!(g.read(0xfe0, 4), Some(0x61));
        assert_eq!(g.read(0xffc, 4), Some(0xb1));
        // Pin 0 as an output, driven low then high, as TF-A's SYSTEM_OFF does.
        g.write(DIR, 4, 1);
        g.write(1 << 2, 4, 0);
        assert!(!g.board_event());
        g.write(1 << 2, 4, 0xff);
        assert_eq!(g.outputs_high(), 1);
        assert!(g.board_event());
        assert!(!g.board_event(), "reported once");
        // A write through another pin's address leaves pin 0 alone.
        g.write(2 << 2, 4, 0);
        assert_eq!(g.read(0x3fc, 4), Some(1));
        // An input pin is not driven.
        g.write(0x3fc, 4, 0xff);
        assert_eq!(g.outputs_high(), 1);
        // A level-sensitive low interrupt on an undriven input is pending at once.
        g.write(IS, 4, 2);
        g.write(IE, 4, 2);
        assert_eq!(g.read(MIS, 4), Some(2));
        assert!(g.interrupt());
    }
}
