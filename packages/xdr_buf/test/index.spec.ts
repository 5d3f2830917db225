import { expect } from 'chai';
import * as pkg from '../src/index.js';

describe('index', () => {
  it('exports the kernel names and the codec from the package entry', () => {
    for (const name of ['xdr_buf', 'xdr_stream', 'kvec', 'xdr_reserve_space', 'xdr_inline_decode', 'xdr_read_pages',
      'xdr_write_pages', 'xdr_buf_to_bvec', 'xdr_stream_encode_u32', 'xdr_stream_decode_u32', 'xdrStruct', 'xdrUnion']) {
      expect(pkg, name).to.have.property(name);
    }
  });
});
