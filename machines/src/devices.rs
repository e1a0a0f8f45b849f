//! The device trait every memory-mapped device implements, after moa's: a device sees accesses
//! at offsets into its own window and answers them, or refuses (which the bus turns into a
//! synchronous External abort, as a bus error on hardware is). Devices do no I/O of their own:
//! what leaves the machine goes through the board's host.

pub mod cfi_flash;
pub mod fw_cfg;
pub mod gicv3;
pub mod pl011;
pub mod pl031;
pub mod pl061;

/// A memory-mapped device.
pub trait Device {
    /// A read of `size` (1, 2, 4 or 8) bytes at `offset`; `None` is a bus error.
    fn read(&mut self, offset: u64, size: usize) -> Option<u64>;
    /// A write of the low `size` bytes of `value` at `offset`; `false` is a bus error.
    fn write(&mut self, offset: u64, size: usize, value: u64) -> bool;
    /// A read from the Non-secure (`ns`) or the Secure physical address space. A device with
    /// a view for each (the GIC with two Security states) answers here; others answer both
    /// alike.
    fn read_in(&mut self, offset: u64, size: usize, ns: bool) -> Option<u64> {
        let _ = ns;
        self.read(offset, size)
    }
    /// A write from the Non-secure (`ns`) or the Secure physical address space.
    fn write_in(&mut self, offset: u64, size: usize, value: u64, ns: bool) -> bool {
        let _ = ns;
        self.write(offset, size, value)
    }
    /// The device as `Any`, so its board can reach its own interface (a UART's input queue).
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
    /// Whether the device asserts its interrupt line now.
    fn interrupt(&self) -> bool {
        false
    }
    /// Whether the device's outputs changed in a way its board must act on before the next
    /// instruction (a power-off line); asked after each write, and true once per change.
    fn board_event(&mut self) -> bool {
        false
    }
}
