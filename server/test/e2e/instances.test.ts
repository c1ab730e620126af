import { describeTwoInstances } from './two-instances.ts';

describeTwoInstances('Redis', () => undefined);
