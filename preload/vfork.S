/* SPDX-License-Identifier: MIT */
/*
 * vfork, sound: the child runs on the parent's stack until it execs or
 * exits, so anything a C wrapper kept in its frame across the call (its
 * return address first) would be overwritten by the child before the
 * parent reads it again. This wrapper keeps nothing on the stack across
 * the call: it asks ft_vfork_prepare (C, frame intact: the creation
 * backtrace is taken there) for the real vfork and a thread-local slot,
 * moves its return address into that slot, tail-calls nothing, calls the
 * real vfork with the caller's own stack pointer, and after it returns (in
 * the child, then in the parent) gets the return address back from
 * ft_vfork_done, which records the child in the parent.
 * The same technique as the sanitizers' vfork interceptors.
 */
#if defined(__x86_64__)
	.text
	.globl	vfork
	.type	vfork, @function
	.p2align 4
vfork:
	.cfi_startproc
	subq	$8, %rsp		/* 16-byte alignment for the call */
	.cfi_adjust_cfa_offset 8
	call	ft_vfork_prepare	/* rax: real vfork, rdx: return slot */
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_undefined rip
	movq	%rcx, (%rdx)
	call	*%rax			/* returns twice: child, then parent */
	pushq	%rax
	pushq	%rax			/* twice: keeps the alignment */
	movl	%eax, %edi
	call	ft_vfork_done		/* rax: our return address */
	movq	%rax, %rcx
	popq	%rax
	popq	%rax
	jmp	*%rcx
	.cfi_endproc
	.size	vfork, .-vfork
#endif
	.section .note.GNU-stack, "", @progbits
