import { SetMetadata } from '@nestjs/common';
import type { JobName } from './jobs';

export const JOB_HANDLER_METADATA = 'xinyi:job-handler';

/** Marks a provider method as THE handler of one job name (exactly one per name). */
export const JobHandler = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER_METADATA, name);
