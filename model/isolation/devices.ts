/**
 * The passthrough devices: the SATA controller (storage domain) and the Ethernet NIC (network domain),
 * one actor each. A device does what its registers tell it, whoever wrote them: it takes a request the
 * owner's driver posted (a target frame, standing for a bus address, and the data), performs the DMA
 * through the IOMMU, and raises an interrupt at its owner. The IOMMU lets the transfer through only if
 * the target frame belongs to a domain in the device's context (hypervisor.ts); otherwise the transfer
 * faults and is dropped. The device itself never checks anything: isolation of DMA rests on the IOMMU
 * context being exactly the owner's.
 *
 * The device registers (request, interrupt) are memory-mapped I/O of the owner: only the domain the
 * device is assigned to can reach them (memory-map.ts attributes them so).
 *
 * The device records which domain owned it when it took a request (a ghost word, `issuer`), so the
 * device-isolation property can tell a transfer that outlives its issuer's ownership.
 *
 * Simplifications: one outstanding request, one frame per transfer, a transfer writes the frame's
 * content word (device-to-memory only); the interrupt is a pending word at the owner, not a virtual IRQ
 * routed through an event channel.
 *
 * VIRTUOS.md: "Components" (SATA controller, Ethernet NIC), "Memory and isolation".
 */
import { iommuAllows } from './hypervisor.ts';
import { DEVICE_IDLE, DEVICE_NAMES, NIC, SATA, type IsolationLayout } from './layout.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';

const iso = (c: Ctx): IsolationLayout => c.L.iso!;

function device(dev: number): Component {
  const name = DEVICE_NAMES[dev];
  const d = (c: Ctx) => iso(c).devices[dev];
  const frameName = (c: Ctx, f: number) => iso(c).frames[f]?.name ?? `frame ${f}`;
  return defineComponent({
    id: name === 'SATA' ? 'sata-controller' : 'ethernet-nic',
    prefix: name,
    section: 'Components',
    description: `The ${name === 'SATA' ? 'SATA controller' : 'Ethernet NIC'}: takes a request posted in its registers, DMAs through the IOMMU, interrupts its owner.`,
    initial: 'idle',
    count: (L) => (L.iso ? 1 : 0),
    pc: (L) => L.iso!.devices[dev].pc,
    states: {
      idle: { description: 'no request in progress', on: { DeviceTakesRequest: { guard: 'requestPosted', target: 'dma', actions: 'takeRequest' } } },
      dma: {
        description: 'about to DMA the data into the target frame',
        on: {
          DeviceWritesDma: [
            { guard: 'iommuAllows', target: 'interrupt', actions: 'writeFrame' },
            { target: 'interrupt', actions: 'dropTransfer' },
          ],
        },
      },
      interrupt: { description: 'transfer finished (or faulted); about to interrupt the owner', on: { DeviceRaisesInterrupt: { target: 'idle', actions: 'raiseInterrupt' } } },
    },
    guards: {
      requestPosted: (c) => c.s[d(c).reqFrame] >= 0,
      iommuAllows: (c) => iommuAllows(c.s, c.L, dev, c.s[d(c).dmaFrame]),
    },
    guardDocs: {
      requestPosted: 'the driver posted a request in the device registers',
      iommuAllows: "the IOMMU context contains the target frame's owner",
    },
    actions: {
      takeRequest: (c) => {
        c.s[d(c).issuer] = c.s[d(c).owner];
        c.s[d(c).dmaFrame] = c.s[d(c).reqFrame];
        c.s[d(c).dmaVal] = c.s[d(c).reqVal];
        c.s[d(c).reqFrame] = -1;
        c.s[d(c).reqVal] = 0;
      },
      writeFrame: (c) => {
        c.s[iso(c).frames[c.s[d(c).dmaFrame]].content] = c.s[d(c).dmaVal];
      },
      dropTransfer: () => {},
      raiseInterrupt: (c) => {
        c.s[d(c).irq] = 1;
        c.s[d(c).dmaFrame] = -1;
        c.s[d(c).dmaVal] = 0;
        c.s[d(c).issuer] = -1;
      },
    },
    events: {
      DeviceTakesRequest: { from: name, to: 'its registers', description: 'take the posted request', label: (c) => `takes a request to DMA into ${frameName(c, c.s[d(c).reqFrame])}` },
      DeviceWritesDma: {
        from: name,
        to: 'memory, through the IOMMU',
        description: 'DMA into the target frame; the IOMMU blocks a frame outside the context',
        label: (c, target) =>
          iommuAllows(c.s, c.L, dev, c.s[d(c).dmaFrame]) && target === 'interrupt'
            ? `DMAs ${c.s[d(c).dmaVal]} into ${frameName(c, c.s[d(c).dmaFrame])}`
            : `DMA into ${frameName(c, c.s[d(c).dmaFrame])} blocked by the IOMMU`,
      },
      DeviceRaisesInterrupt: { from: name, to: 'its owner domain', description: 'interrupt the owner', label: (c) => `interrupts dom${c.s[d(c).owner]}` },
    },
  });
}

export const sataController = device(SATA);
export const ethernetNic = device(NIC);
if (sataController.stateIndex.get('idle') !== DEVICE_IDLE) throw new Error('devices: idle must be the first state');
