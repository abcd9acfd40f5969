/**
 * The isolation layer: what keeps a service domain from reaching what is not its own (VIRTUOS.md,
 * "Memory and isolation"). The hypervisor's domain lifecycle and domain control (`hypervisor.ts`),
 * grant tables and foreign mappings (`grant-table.ts`), event channels (`event-channel.ts`), the
 * rendezvous hypercall (`rendezvous.ts`), the IOMMU and the passthrough devices (`devices.ts`), the
 * service domains' kernels from boot to service (`service-domain.ts`), the primary domain's
 * connection to them (`primary-domain.ts`, `network-frontend.ts`), where each shared word lives
 * (`memory-map.ts`, `layout.ts`), and the adversary: a compromised network domain (`adversary.ts`).
 * `view.ts` names the layer's words for traces.
 */
import type { Component } from '../kit/kit.ts';
import { ADVERSARY_COMPONENTS } from './adversary.ts';
import { ethernetNic, sataController } from './devices.ts';
import { networkLifecycle, storageLifecycle } from './hypervisor.ts';
import { networkFrontend } from './network-frontend.ts';
import { networkConnect, storageConnect } from './primary-domain.ts';
import { networkDomain, storageDomain } from './service-domain.ts';

export { ADVERSARY_COMPONENTS };

/** The isolation layer's components: no actors unless `isolation` is on. */
export const ISOLATION_COMPONENTS: readonly Component[] = [
  storageLifecycle,
  networkLifecycle,
  storageDomain,
  networkDomain,
  storageConnect,
  networkConnect,
  networkFrontend,
  sataController,
  ethernetNic,
  ...ADVERSARY_COMPONENTS,
];

/** The machines that boot the domains and connect them; their steps come first in a run. */
export const BOOT_COMPONENTS: readonly Component[] = [storageLifecycle, networkLifecycle, storageDomain, networkDomain, storageConnect, networkConnect];
