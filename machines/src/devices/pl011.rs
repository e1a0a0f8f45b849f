//! The Arm PrimeCell UART PL011 (Arm DDI 0183), as far as software drives it: the data
//! register, flags, the interrupt mask, raw and masked status and clear registers, and the
//! identification registers. Transmission is immediate (the FIFO never fills); received bytes
//! queue until read. Baud rate, line control and the other control registers hold what is
//! written and have no effect.

use std::collections::VecDeque;

use super::Device;

const DR: u64 = 0x000;
const RSR: u64 = 0x004;
const FR: u64 = 0x018;
const ILPR: u64 = 0x020;
const IBRD: u64 = 0x024;
const FBRD: u64 = 0x028;
const LCR_H: u64 = 0x02c;
const CR: u64 = 0x030;
const IFLS: u64 = 0x034;
const IMSC: u64 = 0x038;
const RIS: u64 = 0x03c;
const MIS: u64 = 0x040;
const ICR: u64 = 0x044;
const DMACR: u64 = 0x048;

/// FR bits: receive FIFO empty, transmit FIFO empty.
const FR_RXFE: u64 = 1 << 4;
const FR_TXFE: u64 = 1 << 7;
/// Interrupt bits: receive, transmit.
const INT_RX: u64 = 1 << 4;
const INT_TX: u64 = 1 << 5;

/// The peripheral and PrimeCell identification registers at 0xfe0..0xffc.
const ID: [u8; 8] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

#[derive(Debug, Default)]
pub struct Pl011 {
    /// Bytes the guest sent, not yet taken by the board.
    pub output: Vec<u8>,
    input: VecDeque<u8>,
    ibrd: u64,
    fbrd: u64,
    lcr_h: u64,
    cr: u64,
    ifls: u64,
    imsc: u64,
    ris: u64,
    dmacr: u64,
    ilpr: u64,
}

impl Pl011 {
    pub fn new() -> Pl011 {
        Pl011 {
            cr: 0x300,
            ifls: 0x12,
            ris: INT_TX,
            ..Pl011::default()
        }
    }

    /// Queues bytes typed at the host's terminal (or piped into stdin).
    pub fn receive(&mut self, bytes: &[u8]) {
        self.input.extend(bytes);
        if !self.input.is_empty() {
            self.ris |= INT_RX;
        }
    }

    /// The UART's combined interrupt output (UARTINTR).
    pub fn interrupt_line(&self) -> bool {
        self.ris & self.imsc != 0
    }

    /// Whether the guest enabled the receive interrupt (it waits for input).
    pub fn rx_interrupt_enabled(&self) -> bool {
        self.imsc & INT_RX != 0
    }

    /// Whether the receive queue is empty (the board reads more input only then).
    pub fn wants_input(&self) -> bool {
        self.input.is_empty()
    }
}

impl Device for Pl011 {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn read(&mut self, offset: u64, _size: usize) -> Option<u64> {
        Some(match offset {
            DR => {
                let b = self.input.pop_front().map_or(0, u64::from);
                if self.input.is_empty() {
                    self.ris &= !INT_RX;
                }
                b
            }
            RSR => 0,
            FR => {
                let rxfe = if self.input.is_empty() { FR_RXFE } else { 0 };
                rxfe | FR_TXFE
            }
            ILPR => self.ilpr,
            IBRD => self.ibrd,
            FBRD => self.fbrd,
            LCR_H => self.lcr_h,
            CR => self.cr,
            IFLS => self.ifls,
            IMSC => self.imsc,
            RIS => self.ris,
            MIS => self.ris & self.imsc,
            DMACR => self.dmacr,
            0xfe0..=0xffc if offset % 4 == 0 => u64::from(ID[((offset - 0xfe0) / 4) as usize]),
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, _size: usize, value: u64) -> bool {
        match offset {
            DR => {
                self.output.push(value as u8);
                self.ris |= INT_TX;
            }
            RSR => {}
            ILPR => self.ilpr = value & 0xff,
            IBRD => self.ibrd = value & 0xffff,
            FBRD => self.fbrd = value & 0x3f,
            LCR_H => self.lcr_h = value & 0xff,
            CR => self.cr = value & 0xffff,
            IFLS => self.ifls = value & 0x3f,
            IMSC => self.imsc = value & 0x7ff,
            ICR => self.ris &= !(value & 0x7ff),
            DMACR => self.dmacr = value & 7,
            _ => {}
        }
        true
    }

    fn interrupt(&self) -> bool {
        self.ris & self.imsc != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmit_receive_and_flags() {
        let mut u = Pl011::new();
        assert_eq!(u.read(FR, 4), Some(FR_RXFE | FR_TXFE));
        u.write(DR, 4, u64::from(b'h'));
        assert_eq!(u.output, b"h");
        u.receive(b"ab");
        assert_eq!(u.read(FR, 4), Some(FR_TXFE));
        u.write(IMSC, 4, INT_RX);
        assert!(u.interrupt());
        assert_eq!(u.read(DR, 4), Some(u64::from(b'a')));
        assert_eq!(u.read(DR, 4), Some(u64::from(b'b')));
        assert!(!u.interrupt());
        assert_eq!(u.read(0xfe0, 4), Some(0x11));
        assert_eq!(u.read(0xff0, 4), Some(0x0d));
    }
}
