//! The Arm PrimeCell real-time clock PL031 (Arm DDI 0224): a seconds counter with a match
//! register and its interrupt. Time is guest time: the counter starts at the board's epoch and
//! advances with the guest's nanoseconds (instructions retired plus skipped idle time), so two
//! runs read the same clock.

use std::cell::Cell;
use std::rc::Rc;

use super::Device;

const DR: u64 = 0x000;
const MR: u64 = 0x004;
const LR: u64 = 0x008;
const CR: u64 = 0x00c;
const IMSC: u64 = 0x010;
const RIS: u64 = 0x014;
const MIS: u64 = 0x018;
const ICR: u64 = 0x01c;
const ID: [u8; 8] = [0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

#[derive(Debug)]
pub struct Pl031 {
    /// Guest time in nanoseconds, kept by the board.
    pub clock: Rc<Cell<u64>>,
    /// The count the guest last loaded (the epoch at reset), and the guest time it did.
    base: (u64, u64),
    mr: u32,
    imsc: bool,
    ris: bool,
}

impl Pl031 {
    pub fn new(clock: Rc<Cell<u64>>, epoch: u64) -> Pl031 {
        Pl031 {
            clock,
            base: (epoch, 0),
            mr: 0,
            imsc: false,
            ris: false,
        }
    }

    fn count(&self) -> u32 {
        let (secs, at) = self.base;
        (secs + (self.clock.get().saturating_sub(at)) / 1_000_000_000) as u32
    }
}

impl Device for Pl031 {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn read(&mut self, offset: u64, _size: usize) -> Option<u64> {
        if self.count() == self.mr {
            self.ris = true;
        }
        Some(match offset {
            DR => u64::from(self.count()),
            MR => u64::from(self.mr),
            LR => self.base.0 & 0xffff_ffff,
            CR => 1,
            IMSC => u64::from(self.imsc),
            RIS => u64::from(self.ris),
            MIS => u64::from(self.ris && self.imsc),
            0xfe0..=0xffc if offset % 4 == 0 => u64::from(ID[((offset - 0xfe0) / 4) as usize]),
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, _size: usize, value: u64) -> bool {
        match offset {
            MR => self.mr = value as u32,
            LR => self.base = (value & 0xffff_ffff, self.clock.get()),
            IMSC => self.imsc = value & 1 != 0,
            ICR => self.ris = false,
            _ => {}
        }
        true
    }

    fn interrupt(&self) -> bool {
        self.ris && self.imsc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_guest_seconds_and_loads() {
        let clock = Rc::new(Cell::new(0));
        let mut r = Pl031::new(clock.clone(), 1_000);
        assert_eq!(r.read(DR, 4), Some(1_000));
        clock.set(2_500_000_000);
        assert_eq!(r.read(DR, 4), Some(1_002));
        r.write(LR, 4, 50);
        clock.set(3_500_000_000);
        assert_eq!(r.read(DR, 4), Some(51));
        assert_eq!(r.read(0xfe0, 4), Some(0x31));
    }
}
