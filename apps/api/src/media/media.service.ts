import { Inject, Injectable } from '@nestjs/common';
import { createDataItem, type ItemSigner } from '@ao/core';
import { GATEWAY, PRISMA, type ArweaveGateway, type IdentityVault, type PrismaClient } from '@ao/infra';
import { AgentMessenger } from '../agents/agent-messenger.js';
import { IDENTITY_VAULT } from '../auth/auth.tokens.js';
import type { Principal } from '../auth/principal.js';
import { requireId } from '../common/ids.js';
import { forbidden, PlatformError } from '../common/platform-error.js';
import type { MediaDto, UploadMediaDto, VerificationDto } from './media.dto.js';

const num = (v: string | undefined) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/**
 * A trader's images and their provenance: an upload is a data item signed with the trader's ao
 * identity (so a verifier names them as its author) posted to the gateway; a verification is a
 * Verify-Media message, signed as them, to a media-verifier process once the item is confirmed.
 */
@Injectable()
export class MediaService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(IDENTITY_VAULT) private readonly vault: IdentityVault,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
    private readonly messenger: AgentMessenger,
  ) {}

  async upload(caller: Principal, input: UploadMediaDto): Promise<MediaDto> {
    const bytes = Buffer.from(input.data, 'base64');
    if (bytes.length === 0) throw new PlatformError(400, 'VALIDATION_FAILED', 'The image is empty', { fields: [{ field: 'data', rule: 'not-empty', message: 'data is empty' }] });
    const signer = await this.signerOf(caller);
    const item = await createDataItem({ data: bytes, tags: [{ name: 'Content-Type', value: input.contentType }, { name: 'App-Name', value: 'ao-platform-media' }] }, signer);
    const bundleId = await this.gateway.postBundle([item.raw]);
    return { mediaId: item.id, author: signer.address, size: bytes.length, contentType: input.contentType, bundleId };
  }

  async verify(caller: Principal, mediaId: string, verifier: string): Promise<VerificationDto> {
    requireId(mediaId, 'mediaId');
    // A verifier reads only items confirmed at or below its message's block: ask once the scheduler's height has reached the item's.
    const confirmed = await this.confirmedHeight(mediaId);
    const current = await this.gateway.blockHeight();
    if (confirmed === null || confirmed > current) {
      throw new PlatformError(409, 'MEDIA_PENDING', 'The image is not confirmed on Arweave yet; ask again in a few seconds', { mediaId, confirmedHeight: confirmed, currentHeight: current });
    }
    const signer = await this.signerOf(caller);
    const { messageId, reply } = await this.messenger.ask(verifier, [{ name: 'Action', value: 'Verify-Media' }, { name: 'Media-Id', value: mediaId }], ['Verification-Result', 'Verify-Media-Error'], '', signer);
    if (reply?.tags.Action !== 'Verification-Result') {
      const error = reply?.tags.Error ?? 'no answer';
      throw new PlatformError(422, 'VERIFY_FAILED', `The verifier did not verify it: ${error}${reply?.tags.Reason ? ` (${reply.tags.Reason})` : ''}`, { messageId, error, reason: reply?.tags.Reason ?? null });
    }
    const t = reply.tags;
    return {
      messageId,
      verdict: t.Verdict,
      reason: t.Reason ?? null,
      mediaId: t['Media-Id'] ?? mediaId,
      author: t.Author ?? null,
      format: t.Format ?? null,
      width: num(t.Width),
      height: num(t.Height),
      sha256: t['Content-Sha256'] ?? null,
      dhash: t.DHash ?? null,
      nearestId: t['Nearest-Id'] ?? null,
      nearestAuthor: t['Nearest-Author'] ?? null,
      nearestDistance: num(t['Nearest-Distance']),
      blockHeight: num(t['Block-Height']),
      tags: t,
    };
  }

  private async confirmedHeight(id: string): Promise<number | null> {
    const data = await this.gateway.graphql<{ transactions: { edges: { node: { block: { height: number } | null } }[] } }>(
      'query($ids: [ID!]) { transactions(ids: $ids, first: 1) { edges { node { block { height } } } } }',
      { ids: [id] },
    );
    return data.transactions.edges[0]?.node.block?.height ?? null;
  }

  private async signerOf(caller: Principal): Promise<ItemSigner> {
    if (!caller.userId) throw forbidden('The ADMIN_TOKEN break-glass has no ao identity to sign with');
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: caller.userId } });
    if (!user.aoKey) throw new PlatformError(409, 'EXTERNAL_WALLET', 'This user signs with their own wallet: sign and upload the item yourself, then send Verify-Media', { aoAddress: user.aoAddress });
    return this.vault.signer(user.aoKey);
  }
}
