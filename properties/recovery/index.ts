/** The recovery group: what must hold when service domains crash and are restarted. */
import type { Property } from '../property.ts';
import { containment } from './containment.ts';
import { durability } from './durability.ts';
import { noHang } from './no-hang.ts';
import { noLeak } from './no-leak.ts';
import { restoration } from './restoration.ts';

export const RECOVERY_PROPERTIES: readonly Property[] = [containment, noHang, noLeak, restoration, durability];
