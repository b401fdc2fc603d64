import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { INFO } from '../common/unit-schemas.js';
import { ENV, GATEWAY, PRISMA, WALLETS, type ArweaveGateway, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';

export interface InfoBody {
  name: string;
  version: string;
  units: { mu: string; cu: string; su: string };
  gateway: string;
  scheduler: { address: string; keyType: string; location?: unknown };
  modules: Record<string, string>;
}

@ApiTags('platform')
@Controller('info')
export class InfoController {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Unit URLs, the scheduler wallet address and the ids of the published modules' })
  @ApiOkResponse({ schema: INFO })
  @ApiErrors([500, 'Postgres failed while reading the published modules'])
  async get(): Promise<InfoBody> {
    const base = this.env.PUBLIC_URL.replace(/\/$/, '');
    const facts = await this.prisma.platformState.findMany({ where: { key: { in: ['modules', 'scheduler-location'] } } });
    const fact = (key: string) => facts.find((f) => f.key === key)?.value;
    return {
      name: 'ao-platform',
      version: '0.1.0',
      units: { mu: `${base}/mu`, cu: `${base}/cu`, su: `${base}/su` },
      gateway: this.gateway.url,
      scheduler: { address: this.wallets.signing.address, keyType: this.wallets.signing.kind, location: fact('scheduler-location') },
      modules: (fact('modules') as Record<string, string> | undefined) ?? {},
    };
  }
}
