import { expect } from 'chai';
import { createFakeDevice } from './_fake_provider.js';
import {
  rdma_protocol_iwarp,
  rdma_protocol_roce,
  rdma_protocol_roce_udp_encap,
  rdma_protocol_ib,
  rdma_ib_or_roce,
  rdma_cap_eth_ah,
  rdma_cap_read_multi_sge,
  rdma_cap_read_inv,
  rdma_cap_iw_cm,
  rdma_is_port_valid,
  rdma_port_get_link_layer,
} from '../../src/core/rdma_cap.js';
import { rdma_node_type, rdma_link_layer } from '../../src/core/ib_verbs.h.js';

describe('rdma_cap: rdma_protocol_* / rdma_cap_*', () => {
  it('a RoCEv2 device (default port_immutable) is RoCE, not iWARP, with multi-SGE READ', () => {
    const { dev } = createFakeDevice();
    expect(rdma_protocol_roce(dev, 1)).to.equal(true);
    expect(rdma_protocol_roce_udp_encap(dev, 1)).to.equal(true);
    expect(rdma_protocol_ib(dev, 1)).to.equal(false);
    expect(rdma_ib_or_roce(dev, 1)).to.equal(true);
    expect(rdma_protocol_iwarp(dev, 1)).to.equal(false);
    expect(rdma_cap_eth_ah(dev, 1)).to.equal(true);
    expect(rdma_cap_read_multi_sge(dev, 1)).to.equal(true);
    expect(rdma_cap_read_inv(dev, 1)).to.equal(false);
    expect(rdma_port_get_link_layer(dev, 1)).to.equal(rdma_link_layer.IB_LINK_LAYER_ETHERNET);
  });
  it('an RNIC device is iWARP: single-SGE READ, READ_WITH_INV, iw_cm', () => {
    const { dev } = createFakeDevice({ node_type: rdma_node_type.RDMA_NODE_RNIC });
    expect(rdma_protocol_iwarp(dev, 1)).to.equal(true);
    expect(rdma_protocol_roce(dev, 1)).to.equal(false);
    expect(rdma_cap_read_multi_sge(dev, 1)).to.equal(false);
    expect(rdma_cap_read_inv(dev, 1)).to.equal(true);
    expect(rdma_cap_iw_cm(dev, 1)).to.equal(true);
  });
  it('rdma_is_port_valid: 1..phys_port_cnt', () => {
    const { dev } = createFakeDevice();
    expect(rdma_is_port_valid(dev, 0)).to.equal(false);
    expect(rdma_is_port_valid(dev, 1)).to.equal(true);
    expect(rdma_is_port_valid(dev, 2)).to.equal(false);
  });
});
