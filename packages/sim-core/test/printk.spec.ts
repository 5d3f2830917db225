import { expect } from 'chai';
import { Dmesg, KERN_ERR, KERN_INFO, KERN_WARNING, formatDmesgLine, printk } from '../src/printk.js';

describe('printk', () => {
  it('has the kernel log levels (include/linux/kern_levels.h)', () => {
    expect([KERN_ERR, KERN_WARNING, KERN_INFO]).to.deep.equal([3, 4, 6]);
  });

  it('appends lines with their level and the timestamp of the injected clock', () => {
    let now = 1_500_000;
    const log = new Dmesg(16, () => now);
    printk(log, KERN_WARNING, 'swiotlb buffer is full');
    now = 2_000_000_123;
    printk(log, KERN_INFO, 'software IO TLB: mapped');
    expect(log.lines).to.deep.equal([
      { level: KERN_WARNING, ts_ns: 1_500_000, text: 'swiotlb buffer is full' },
      { level: KERN_INFO, ts_ns: 2_000_000_123, text: 'software IO TLB: mapped' },
    ]);
    expect(log.grep('swiotlb')).to.have.length(1);
    expect(log.grep(/^software/)).to.have.length(1);
  });

  it('prints lines the way dmesg does: [seconds.microseconds] text', () => {
    expect(formatDmesgLine({ level: 4, ts_ns: 1_234_567_890, text: 'x' })).to.equal('[    1.234567] x');
    expect(formatDmesgLine({ level: 4, ts_ns: 0, text: 'y' })).to.equal('[    0.000000] y');
    const log = new Dmesg(4, () => 3_000);
    printk(log, KERN_ERR, 'a');
    printk(log, KERN_ERR, 'b');
    expect(log.toString()).to.equal('[    0.000003] a\n[    0.000003] b');
  });

  it('keeps the newest `capacity` lines and counts the dropped ones; clear() empties the ring', () => {
    const log = new Dmesg(3);
    for (let i = 0; i < 5; i++) printk(log, KERN_INFO, `line ${i}`);
    expect(log.lines.map((l) => l.text)).to.deep.equal(['line 2', 'line 3', 'line 4']);
    expect(log.dropped).to.equal(2);
    log.clear();
    expect(log.lines).to.deep.equal([]);
    expect(log.dropped).to.equal(0);
  });
});
