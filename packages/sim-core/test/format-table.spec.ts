import { expect } from 'chai';
import { formatCell, formatTable } from '../src/format-table.js';

describe('format-table', () => {
  describe('formatCell', () => {
    it('prints integers with thousands separators and fractions with three significant digits', () => {
      expect(formatCell(1234567)).to.equal('1,234,567');
      expect(formatCell(123.4)).to.equal('123');
      expect(formatCell(98.64)).to.equal('98.6');
      expect(formatCell(3.14159)).to.equal('3.14');
      expect(formatCell(0.012345)).to.equal('0.0123');
      expect(formatCell(Infinity)).to.equal('Infinity');
      expect(formatCell('sg')).to.equal('sg');
    });
  });

  describe('formatTable', () => {
    it('pads text columns on the right, right-aligns all-number columns, and draws a rule', () => {
      const t = formatTable(['design', 'segs', 'note'], [
        { design: 'sg', segs: 3, note: 'merged' },
        { design: 'iova', segs: 1234, note: 1 },
      ]);
      expect(t.split('\n')).to.deep.equal([
        'design   segs  note',
        '------  -----  ------',
        'sg          3  merged',
        'iova    1,234  1',
      ]);
    });

    it('prints an empty cell for a missing column and only the header for no rows', () => {
      expect(formatTable(['a', 'b'], [{ a: 'x' }]).split('\n')[2]).to.equal('x');
      expect(formatTable(['a'], [])).to.equal('a\n-');
    });
  });
});
